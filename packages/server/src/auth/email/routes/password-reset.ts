// Password reset: POST /password/reset [email_send] {email, redirect_to?} → {user: null,
// session: null} (same for unknown emails, and as fast: the mail is queued); /password/reset/verify {token} → {message};
// /password/reset/confirm {token, new_password} → Session | TwoFactorChallenge.
import type { FastifyInstance } from 'fastify';
import { normalizeEmail } from '../../core/email.ts';
import type { AuthDeps } from '../../deps.ts';
import { bodyOf, requiredString } from '../body.ts';
import { checkResetToken, confirmPasswordReset } from '../password-reset.ts';
import { enqueueMailRequest } from '../mail-requests.ts';
import { optionalRedirect } from './redirect-param.ts';
import { PUBLIC } from './public.ts';

export function registerPasswordResetRoutes(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/auth/password/reset', PUBLIC, async (request, reply) => {
    const body = bodyOf(request.body);
    const email = normalizeEmail(body.email);
    const redirectTo = optionalRedirect(deps.config, body.redirect_to);
    await deps.limits.hit(reply, 'email_send', { ip: deps.core.clientInfo(request).ip, email });
    await enqueueMailRequest(deps.db.pool, { kind: 'recovery', email, redirectTo });
    return { user: null, session: null };
  });

  app.post('/api/v1/auth/password/reset/verify', PUBLIC, async (request) => {
    await checkResetToken(deps, requiredString(bodyOf(request.body), 'token'));
    return { message: 'Token is valid' };
  });

  app.post('/api/v1/auth/password/reset/confirm', PUBLIC, async (request) => {
    const body = bodyOf(request.body);
    const token = requiredString(body, 'token');
    if (body.new_password === undefined) requiredString(body, 'new_password');
    return confirmPasswordReset(deps, token, body.new_password, deps.core.clientInfo(request));
  });
}
