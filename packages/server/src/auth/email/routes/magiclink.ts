// POST /api/v1/auth/magiclink [email_send] {email, redirect_to?} → {user: null, session: null}
// (same for unknown emails, and as fast: the mail is queued, mail-requests.ts); POST /magiclink/verify {token} → Session | TwoFactorChallenge.
// Both 404 FEATURE_DISABLED when auth.magic_link_enabled is off.
import type { FastifyInstance } from 'fastify';
import { normalizeEmail } from '../../core/email.ts';
import type { AuthDeps } from '../../deps.ts';
import { bodyOf, requiredString } from '../body.ts';
import { requireMagicLinks, verifyMagicLink } from '../magic-link.ts';
import { enqueueMailRequest } from '../mail-requests.ts';
import { optionalRedirect } from './redirect-param.ts';
import { PUBLIC } from './public.ts';

export function registerMagicLinkRoutes(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/auth/magiclink', PUBLIC, async (request, reply) => {
    requireMagicLinks(deps.config);
    const body = bodyOf(request.body);
    const email = normalizeEmail(body.email);
    const redirectTo = optionalRedirect(deps.config, body.redirect_to);
    await deps.limits.hit(reply, 'email_send', { ip: deps.core.clientInfo(request).ip, email });
    await enqueueMailRequest(deps.db.pool, { kind: 'magiclink', email, redirectTo });
    return { user: null, session: null };
  });

  app.post('/api/v1/auth/magiclink/verify', PUBLIC, async (request) => {
    requireMagicLinks(deps.config);
    const token = requiredString(bodyOf(request.body), 'token');
    return verifyMagicLink(deps, token, deps.core.clientInfo(request));
  });
}
