// POST /api/v1/auth/magiclink [email_send] {email, redirect_to?} → {user: null, session: null}
// (same for unknown emails, and as fast: the mail is queued, mail-requests.ts); POST /magiclink/verify {token} → Session | TwoFactorChallenge.
// Both 404 FEATURE_DISABLED when auth.magic_link_enabled is off.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { field, LIMITS, optionalBody, parseInput } from '../../../http/index.ts';
import { countedAttempt } from '../../core/attempts.ts';
import { emailField } from '../../core/email.ts';
import type { AuthDeps } from '../../deps.ts';
import { requireMagicLinks, verifyMagicLink } from '../magic-link.ts';
import { enqueueMailRequest } from '../mail-requests.ts';
import { optionalRedirect, redirectToField } from './redirect-param.ts';
import { PUBLIC } from './public.ts';

const SendBody = optionalBody(z.object({ email: emailField(), redirect_to: redirectToField() }));
const VerifyBody = optionalBody(z.object({ token: field.text(LIMITS.token) }));

export function registerMagicLinkRoutes(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/auth/magiclink', PUBLIC, async (request, reply) => {
    requireMagicLinks(deps.config);
    const body = parseInput(SendBody, request.body);
    const redirectTo = optionalRedirect(deps.config, body.redirect_to);
    await deps.limits.hit(reply, 'email_send', { ip: deps.core.clientInfo(request).ip, email: body.email });
    await enqueueMailRequest(deps.db.pool, { kind: 'magiclink', email: body.email, redirectTo });
    return { user: null, session: null };
  });

  app.post('/api/v1/auth/magiclink/verify', PUBLIC, (request) => countedAttempt(deps.metrics, 'magic_link', async () => {
    requireMagicLinks(deps.config);
    const { token } = parseInput(VerifyBody, request.body);
    return verifyMagicLink(deps, token, deps.core.clientInfo(request));
  }));
}
