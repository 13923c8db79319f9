// GET /api/v1/auth/oauth/:provider/authorize?redirect_uri&redirect_to&scopes[&redirect=true]
// [&code_challenge&code_challenge_method=S256]: starts a sign-in; answers {url, provider}, or
// a 302 to the provider with redirect=true. A client challenge binds the callback to the
// client that holds its verifier (the SDK sends one).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { field, parseInput } from '../../../http/index.ts';
import type { OAuthService } from '../service.ts';
import { authorizeFields, checkClientChallenge } from './authorize.schema.ts';

const Query = z.object({ redirect: field.queryFlag(), ...authorizeFields }).superRefine(checkClientChallenge);

export function registerAuthorizeRoute(app: FastifyInstance, oauth: OAuthService): void {
  app.get<{ Params: { provider: string } }>('/api/v1/auth/oauth/:provider/authorize', { config: { allowWithoutKey: true } }, async (request, reply) => {
    const q = parseInput(Query, request.query, 'query');
    const started = await oauth.flows.authorize({
      provider: request.params.provider,
      redirectUri: q.redirect_uri,
      redirectTo: q.redirect_to,
      scopes: q.scopes,
      clientChallenge: q.code_challenge,
    });
    reply.header('cache-control', 'no-store');
    if (q.redirect) return reply.redirect(started.url, 302);
    return { url: started.url, provider: started.provider };
  });
}
