// GET /api/v1/auth/oauth/providers: the enabled providers a sign-in page can offer.
import type { FastifyInstance } from 'fastify';
import type { OAuthService } from '../service.ts';

export function registerProvidersRoute(app: FastifyInstance, oauth: OAuthService): void {
  const base = oauth.deps.config.server.public_url.replace(/\/+$/, '');
  app.get('/api/v1/auth/oauth/providers', { config: { allowWithoutKey: true } }, async () => {
    const providers = await oauth.registry.enabled();
    return {
      providers: providers.map((p) => ({
        provider: p.name,
        display_name: p.displayName,
        authorize_url: `${base}/api/v1/auth/oauth/${p.name}/authorize`,
      })),
    };
  });
}
