// POST /api/v1/auth/2fa/challenge → {challenge_token, expires_in: 300}: step-up of the
// caller's session; /2fa/verify then raises that session to aal2.
import type { FastifyInstance } from 'fastify';
import type { AuthDeps } from '../../deps.ts';
import { notEnabled } from '../enrolment.ts';

export function registerChallengeRoute(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/auth/2fa/challenge', async (request) => {
    const caller = await deps.core.requireUser(request);
    if (!caller.user.totp_enabled) throw notEnabled();
    return deps.core.createStepUpChallenge(caller, deps.core.clientInfo(request));
  });
}
