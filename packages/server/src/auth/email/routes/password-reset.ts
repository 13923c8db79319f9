// Password reset: POST /password/reset [email_send] {email, redirect_to?} → {user: null,
// session: null} (same for unknown emails, and as fast: the mail is queued); /password/reset/verify {token} → {message};
// /password/reset/confirm {token, new_password} → Session | TwoFactorChallenge.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { field, LIMITS, optionalBody, parseInput } from '../../../http/index.ts';
import { emailField } from '../../core/email.ts';
import { newPasswordField } from '../../core/password-fields.ts';
import type { AuthDeps } from '../../deps.ts';
import { checkResetToken, confirmPasswordReset } from '../password-reset.ts';
import { enqueueMailRequest } from '../mail-requests.ts';
import { optionalRedirect, redirectToField } from './redirect-param.ts';
import { PUBLIC } from './public.ts';

const ResetBody = optionalBody(z.object({ email: emailField(), redirect_to: redirectToField() }));
const VerifyBody = optionalBody(z.object({ token: field.text(LIMITS.token) }));
const ConfirmBody = optionalBody(z.object({ token: field.text(LIMITS.token), new_password: newPasswordField() }));

export function registerPasswordResetRoutes(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/auth/password/reset', PUBLIC, async (request, reply) => {
    const body = parseInput(ResetBody, request.body);
    const redirectTo = optionalRedirect(deps.config, body.redirect_to);
    await deps.limits.hit(reply, 'email_send', { ip: deps.core.clientInfo(request).ip, email: body.email });
    await enqueueMailRequest(deps.db.pool, { kind: 'recovery', email: body.email, redirectTo });
    return { user: null, session: null };
  });

  app.post('/api/v1/auth/password/reset/verify', PUBLIC, async (request) => {
    await checkResetToken(deps, parseInput(VerifyBody, request.body).token);
    return { message: 'Token is valid' };
  });

  app.post('/api/v1/auth/password/reset/confirm', PUBLIC, async (request) => {
    const body = parseInput(ConfirmBody, request.body);
    return confirmPasswordReset(deps, body.token, body.new_password, deps.core.clientInfo(request));
  });
}
