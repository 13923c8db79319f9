// POST /api/v1/auth/signin/idtoken {provider, token, nonce?}: sign in (or up) with an OIDC
// ID token the client obtained itself (mobile SDKs, Google One Tap, Sign in with Apple JS).
import type { FastifyInstance } from 'fastify';
import { bodyObject, optionalString, requiredString } from '../inputs.ts';
import type { OAuthService } from '../service.ts';

export function registerIdTokenRoute(app: FastifyInstance, oauth: OAuthService): void {
  const deps = oauth.deps;
  app.post('/api/v1/auth/signin/idtoken', { config: { allowWithoutKey: true } }, async (request, reply) => {
    const body = bodyObject(request.body);
    const provider = requiredString(body, 'provider', 63);
    const token = requiredString(body, 'token', 16 * 1024);
    const nonce = optionalString(body, 'nonce', 512);
    const client = deps.core.clientInfo(request);
    await deps.limits.hit(reply, 'login', { ip: client.ip });
    return oauth.flows.signInWithIdToken(provider, token, nonce, client);
  });
}
