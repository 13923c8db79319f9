// POST /api/v1/auth/2fa/setup {issuer?} → {id, type: "totp", totp: {qr_code, secret, uri}}:
// a pending enrolment for 10 minutes (API.md §8.1).
import type { FastifyInstance } from 'fastify';
import type { AuthDeps } from '../../deps.ts';
import { bodyObject } from '../code-input.ts';
import { parseIssuer, startSetup } from '../enrolment.ts';

export function registerSetupRoute(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/auth/2fa/setup', async (request) => {
    const caller = await deps.core.requireUser(request);
    const body = bodyObject(request.body);
    const issuer = parseIssuer(body.issuer, deps.config.auth.totp_issuer);
    return startSetup(deps, caller.user, issuer);
  });
}
