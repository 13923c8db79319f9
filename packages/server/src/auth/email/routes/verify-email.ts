// POST /verify-email {token} → {message, user} (email verification or email-change
// confirmation); POST /verify-email/resend [email_send] {email} → {message} (generic).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { field, LIMITS, optionalBody, parseInput } from '../../../http/index.ts';
import { emailField } from '../../core/email.ts';
import type { AuthDeps } from '../../deps.ts';
import { resendVerification, verifyEmailToken } from '../verification.ts';
import { PUBLIC } from './public.ts';

const VerifyBody = optionalBody(z.object({ token: field.text(LIMITS.token) }));
const ResendBody = optionalBody(z.object({ email: emailField() }));

export function registerVerifyEmailRoutes(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/auth/verify-email', PUBLIC, async (request) => {
    return verifyEmailToken(deps, parseInput(VerifyBody, request.body).token);
  });

  app.post('/api/v1/auth/verify-email/resend', PUBLIC, async (request, reply) => {
    const { email } = parseInput(ResendBody, request.body);
    await deps.limits.hit(reply, 'email_send', { ip: deps.core.clientInfo(request).ip, email });
    await resendVerification(deps, email);
    return { message: 'If an unverified account uses this address, a new verification link has been sent' };
  });
}
