// POST /api/v1/auth/2fa/verify {user_id, code, challenge_token?} → Session (aal2). Not
// protected (the caller has no session yet); limited per IP [totp_verify] and per user
// (the attempt lock). Reachable without an API key, like /signin.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { field, LIMITS, optionalBody, parseInput } from '../../../http/index.ts';
import { countedAttempt } from '../../core/attempts.ts';
import type { AuthDeps } from '../../deps.ts';
import { codeField, userIdField } from '../code-input.ts';
import { verifySecondFactor } from '../sign-in-verify.ts';

const Body = optionalBody(z.object({ user_id: userIdField(), code: codeField(), challenge_token: field.optionalText(LIMITS.token) }));

export function registerVerifyRoute(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/auth/2fa/verify', { config: { allowWithoutKey: true } }, (request, reply) => countedAttempt(deps.metrics, 'totp', async () => {
    const body = parseInput(Body, request.body);
    const client = deps.core.clientInfo(request);
    await deps.limits.hit(reply, 'totp_verify', { ip: client.ip });
    // '' is no challenge token.
    const input = { userId: body.user_id, code: body.code, challengeToken: body.challenge_token || undefined };
    if (!deps.tracing) return verifySecondFactor(deps, input, client);
    return deps.tracing.inSpan('auth.totp.verify', { requireParent: true, attributes: { 'auth.code_kind': body.code.kind } }, () => verifySecondFactor(deps, input, client));
  }));
}
