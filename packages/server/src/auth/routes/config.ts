// GET /api/v1/auth/config (docs/auth.md "Configuration"): the values actually enforced (OAuth
// providers from configuration and the database), and
// GET /captcha/config (no CAPTCHA provider is built in).
import type { FastifyInstance } from 'fastify';
import type { AuthDeps } from '../deps.ts';

/** `providerNames`: enabled OAuth providers (configuration and database), from the OAuth module. */
export function registerConfigRoutes(app: FastifyInstance, deps: AuthDeps, providerNames: () => Promise<string[]>): void {
  const a = deps.config.auth;
  app.get('/api/v1/auth/config', { config: { allowWithoutKey: true } }, async () => ({
    signup_enabled: a.signup_enabled,
    require_email_verification: a.require_email_verification,
    magic_link_enabled: a.magic_link_enabled,
    password_login_enabled: a.password_login_enabled,
    anonymous_signin_enabled: a.anonymous_signin_enabled,
    // No SMS provider can be configured yet: phone sign-in answers 400 PHONE_PROVIDER_DISABLED.
    phone_enabled: false,
    mfa_available: true,
    password_min_length: a.password_min_length,
    password_max_length: a.password_max_length,
    oauth_providers: (await providerNames()).sort(),
    captcha: { enabled: false },
  }));
  app.get('/api/v1/auth/captcha/config', { config: { allowWithoutKey: true } }, async () => ({ enabled: false }));
}
