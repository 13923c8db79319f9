// POST /api/v1/auth/signin/idtoken {provider, token, nonce?}: sign in (or up) with an OIDC
// ID token the client obtained itself (mobile SDKs, Google One Tap, Sign in with Apple JS).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { field, LIMITS, optionalBody, parseInput } from '../../../http/index.ts';
import { countedAttempt } from '../../core/attempts.ts';
import type { OAuthService } from '../service.ts';

// An ID token is a JWT that may carry many claims: 16 KB, not the default token bound.
const Body = optionalBody(z.object({
  provider: field.requiredParam(LIMITS.name),
  token: field.requiredParam(16 * 1024),
  nonce: field.param(LIMITS.token),
}));

export function registerIdTokenRoute(app: FastifyInstance, oauth: OAuthService): void {
  const deps = oauth.deps;
  app.post('/api/v1/auth/signin/idtoken', { config: { allowWithoutKey: true } }, (request, reply) => countedAttempt(deps.metrics, 'id_token', async () => {
    const { provider, token, nonce } = parseInput(Body, request.body);
    const client = deps.core.clientInfo(request);
    await deps.limits.hit(reply, 'login', { ip: client.ip });
    return oauth.flows.signInWithIdToken(provider, token, nonce, client);
  }));
}
