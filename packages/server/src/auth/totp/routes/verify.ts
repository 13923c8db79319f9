// POST /api/v1/auth/2fa/verify {user_id, code, challenge_token?} → Session (aal2). Not
// protected (the caller has no session yet); limited per IP [totp_verify] and per user
// (the attempt lock). Reachable without an API key, like /signin.
import type { FastifyInstance } from 'fastify';
import type { AuthDeps } from '../../deps.ts';
import { bodyObject, optionalString, parseCode, parseUserId } from '../code-input.ts';
import { verifySecondFactor } from '../sign-in-verify.ts';

export function registerVerifyRoute(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/auth/2fa/verify', { config: { allowWithoutKey: true } }, async (request, reply) => {
    const body = bodyObject(request.body);
    const userId = parseUserId(body.user_id);
    const code = parseCode(body.code);
    const challengeToken = optionalString(body.challenge_token, 'challenge_token', 256) || undefined;
    const client = deps.core.clientInfo(request);
    await deps.limits.hit(reply, 'totp_verify', { ip: client.ip });
    return verifySecondFactor(deps, { userId, code, challengeToken }, client);
  });
}
