// GET /api/v1/auth/oauth/:provider/authorize?redirect_uri&redirect_to&scopes[&redirect=true]
// [&code_challenge&code_challenge_method=S256]: starts a sign-in; answers {url, provider}, or
// a 302 to the provider with redirect=true. A client challenge binds the callback to the
// client that holds its verifier (the SDK sends one).
import type { FastifyInstance } from 'fastify';
import { optionalClientChallenge, optionalFlag, optionalScopes, optionalString, type Fields } from '../inputs.ts';
import type { OAuthService } from '../service.ts';

export function registerAuthorizeRoute(app: FastifyInstance, oauth: OAuthService): void {
  app.get<{ Params: { provider: string } }>('/api/v1/auth/oauth/:provider/authorize', { config: { allowWithoutKey: true } }, async (request, reply) => {
    const q = request.query as Fields;
    const redirect = optionalFlag(q, 'redirect');
    const started = await oauth.flows.authorize({
      provider: request.params.provider,
      redirectUri: optionalString(q, 'redirect_uri'),
      redirectTo: optionalString(q, 'redirect_to'),
      scopes: optionalScopes(q),
      clientChallenge: optionalClientChallenge(q),
    });
    reply.header('cache-control', 'no-store');
    if (redirect) return reply.redirect(started.url, 302);
    return { url: started.url, provider: started.provider };
  });
}
