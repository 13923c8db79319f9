// GET /api/v1/auth/oauth/:provider/token: the caller's own stored provider tokens (for
// calling the provider's API on the user's behalf). Needs a user session.
import type { FastifyInstance } from 'fastify';
import { errors } from '../../../http/index.ts';
import type { OAuthService } from '../service.ts';

export function registerProviderTokenRoute(app: FastifyInstance, oauth: OAuthService): void {
  app.get<{ Params: { provider: string } }>('/api/v1/auth/oauth/:provider/token', async (request, reply) => {
    const caller = await oauth.deps.core.requireUser(request);
    const tokens = await oauth.identities.tokensFor(caller.user.id, request.params.provider);
    if (!tokens) throw errors.notFound('identity', `No ${request.params.provider.slice(0, 64)} identity with stored tokens for this user`);
    reply.header('cache-control', 'no-store');
    return tokens;
  });
}
