// Service-key scopes (API.md §2; docs/auth.md "Scopes"): a stored key is limited to what its
// scopes name; JWT principals (users, service-role tokens) never are.
import type { FastifyRequest } from 'fastify';
import { AppError } from './errors/index.ts';

/** Stored service keys are limited by their scopes (docs/auth.md "Scopes"); JWTs never are. */
export function requireScope(request: FastifyRequest, scope: string): void {
  const p = request.principal;
  if (p.kind !== 'service_key') return;
  const scopes = p.scopes ?? [];
  if (!scopes.includes('*') && !scopes.includes(scope)) {
    throw new AppError('INSUFFICIENT_PERMISSIONS', { message: `This service key lacks the ${scope} scope`, details: { required_scope: scope } });
  }
}
