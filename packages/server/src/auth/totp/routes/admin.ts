// Admin (docs/auth.md "Two-factor authentication (TOTP)"): POST
// /api/v1/admin/users/:id/2fa/unlock clears the TOTP attempt lock; DELETE
// /api/v1/admin/users/:id/2fa removes the user's TOTP. Both → {success: true}.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { adminOnly, AppError } from '../../../http/index.ts';
import type { AuthDeps } from '../../deps.ts';
import { adminRemoveTotp, adminUnlock } from '../management.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function userIdParam(request: FastifyRequest): string {
  const id = (request.params as { id?: string }).id ?? '';
  if (!UUID.test(id)) throw new AppError('INVALID_ID', { message: 'The user id must be a UUID' });
  return id.toLowerCase();
}

export function registerAdminTotpRoutes(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/admin/users/:id/2fa/unlock', { preHandler: adminOnly }, async (request) => {
    await adminUnlock(deps, userIdParam(request));
    return { success: true };
  });
  app.delete('/api/v1/admin/users/:id/2fa', { preHandler: adminOnly }, async (request) => {
    await adminRemoveTotp(deps, userIdParam(request));
    return { success: true };
  });
}
