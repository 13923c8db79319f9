// OAuth 2.0 / OIDC sign-in (docs/auth.md "OAuth and OpenID Connect sign-in"): providers
// (presets, generic OIDC discovery, fluxbase.yaml or the admin API), authorization with
// state + PKCE + nonce stored in PostgreSQL (any instance may receive the callback),
// callback, ID-token sign-in, identity linking, provider tokens stored encrypted. Users,
// sessions and 2FA come from the auth core through AuthDeps; this module never issues
// tokens itself.
import type { FastifyInstance } from 'fastify';
import type { AuthDeps } from '../deps.ts';
import { registerAdminProviderRoutes } from './routes/admin-providers.ts';
import { registerAuthorizeRoute } from './routes/authorize.ts';
import { registerCallbackRoutes } from './routes/callback.ts';
import { registerIdentityRoutes } from './routes/identities.ts';
import { registerIdTokenRoute } from './routes/idtoken.ts';
import { registerProviderTokenRoute } from './routes/provider-token.ts';
import { registerProvidersRoute } from './routes/providers.ts';
import { createOAuthService, type OAuthService } from './service.ts';

export type { OAuthService } from './service.ts';
export { PRESETS } from './presets.ts';

/** How often expired authorization attempts are deleted. */
export const STATE_CLEANUP_INTERVAL_MS = 5 * 60 * 1000;

export function registerOAuthRoutes(app: FastifyInstance, deps: AuthDeps): OAuthService {
  const oauth = createOAuthService(deps);
  registerProvidersRoute(app, oauth);
  registerAuthorizeRoute(app, oauth);
  registerCallbackRoutes(app, oauth);
  registerIdTokenRoute(app, oauth);
  registerProviderTokenRoute(app, oauth);
  registerIdentityRoutes(app, oauth);
  registerAdminProviderRoutes(app, oauth);

  const cleanup = setInterval(() => {
    oauth.states.deleteExpired().catch((err: unknown) => deps.logger.warn({ err }, 'OAuth state cleanup failed'));
  }, STATE_CLEANUP_INTERVAL_MS).unref();
  app.addHook('onClose', (_app, done) => {
    clearInterval(cleanup);
    done();
  });
  return oauth;
}

/** Names of the enabled providers, for AuthConfig `oauth_providers` (GET /auth/config). */
export async function enabledOAuthProviderNames(oauth: OAuthService): Promise<string[]> {
  return (await oauth.registry.enabled()).map((p) => p.name);
}
