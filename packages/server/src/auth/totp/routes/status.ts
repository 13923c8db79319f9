// GET /api/v1/auth/2fa/status → {totp_enabled, recovery_codes_remaining}.
import type { FastifyInstance } from 'fastify';
import type { AuthDeps } from '../../deps.ts';
import { totpStatus } from '../management.ts';

export function registerStatusRoute(app: FastifyInstance, deps: AuthDeps): void {
  app.get('/api/v1/auth/2fa/status', async (request) => {
    const caller = await deps.core.requireUser(request);
    return totpStatus(deps, caller.user);
  });
}
