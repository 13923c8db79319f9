// POST /verify-email {token} → {message, user} (email verification or email-change
// confirmation); POST /verify-email/resend [email_send] {email} → {message} (generic).
import type { FastifyInstance } from 'fastify';
import { normalizeEmail } from '../../core/email.ts';
import type { AuthDeps } from '../../deps.ts';
import { bodyOf, requiredString } from '../body.ts';
import { resendVerification, verifyEmailToken } from '../verification.ts';
import { PUBLIC } from './public.ts';

export function registerVerifyEmailRoutes(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/auth/verify-email', PUBLIC, async (request) => {
    return verifyEmailToken(deps, requiredString(bodyOf(request.body), 'token'));
  });

  app.post('/api/v1/auth/verify-email/resend', PUBLIC, async (request, reply) => {
    const email = normalizeEmail(bodyOf(request.body).email);
    await deps.limits.hit(reply, 'email_send', { ip: deps.core.clientInfo(request).ip, email });
    await resendVerification(deps, email);
    return { message: 'If an unverified account uses this address, a new verification link has been sent' };
  });
}
