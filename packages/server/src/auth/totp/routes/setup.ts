// POST /api/v1/auth/2fa/setup {issuer?} → {id, type: "totp", totp: {qr_code, secret, uri}}:
// a pending enrolment for 10 minutes (docs/auth.md "Turning 2FA on").
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { optionalBody, parseInput } from '../../../http/index.ts';
import type { AuthDeps } from '../../deps.ts';
import { issuerField, startSetup } from '../enrolment.ts';

const Body = optionalBody(z.object({ issuer: issuerField() }));

export function registerSetupRoute(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/auth/2fa/setup', async (request) => {
    const caller = await deps.core.requireUser(request);
    const { issuer } = parseInput(Body, request.body);
    return startSetup(deps, caller.user, issuer ?? deps.config.auth.totp_issuer);
  });
}
