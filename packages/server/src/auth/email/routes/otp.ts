// Email OTP: POST /otp/signin and /otp/resend [email_send] {email, options?: {purpose?,
// should_create_user?}} → {user: null, session: null}; POST /otp/verify [totp_verify]
// {email, token, type: "email"} → Session | TwoFactorChallenge. Phone variants are 400
// PHONE_PROVIDER_DISABLED. The code is mailed by the queue (mail-requests.ts): same answer, same time, for any address.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { field, LIMITS, optionalBody, parseInput } from '../../../http/index.ts';
import { countedAttempt } from '../../core/attempts.ts';
import { emailField } from '../../core/email.ts';
import type { AuthDeps } from '../../deps.ts';
import { verifyEmailOtp } from '../email-otp.ts';
import { enqueueMailRequest } from '../mail-requests.ts';
import { rejectPhone } from '../phone.ts';
import { PUBLIC } from './public.ts';

const SendBody = optionalBody(z.object({
  email: emailField(),
  // `purpose` is only kept with the code for the log.
  options: field.object({ purpose: field.optionalText(64), should_create_user: field.flag() }),
}));

// `magiclink`: the code printed in a magic-link email is an email OTP too.
const VerifyBody = optionalBody(z.object({
  type: z.preprocess((v) => (v === null ? undefined : v), z.enum(['email', 'magiclink'], { error: 'must be "email"' }).optional()),
  email: emailField(),
  token: field.text(LIMITS.code),
}));

export function registerOtpRoutes(app: FastifyInstance, deps: AuthDeps): void {
  const send = (resend: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    rejectPhone(request.body);
    const { email, options } = parseInput(SendBody, request.body);
    const createUser = !resend && options?.should_create_user === true;
    await deps.limits.hit(reply, 'email_send', { ip: deps.core.clientInfo(request).ip, email });
    await enqueueMailRequest(deps.db.pool, { kind: 'email_otp', email, createUser, purpose: options?.purpose });
    return { user: null, session: null };
  };
  app.post('/api/v1/auth/otp/signin', PUBLIC, send(false));
  app.post('/api/v1/auth/otp/resend', PUBLIC, send(true));

  app.post('/api/v1/auth/otp/verify', PUBLIC, (request, reply) => countedAttempt(deps.metrics, 'otp', async () => {
    rejectPhone(request.body);
    const { email, token } = parseInput(VerifyBody, request.body);
    const client = deps.core.clientInfo(request);
    await deps.limits.hit(reply, 'totp_verify', { ip: client.ip });
    return verifyEmailOtp(deps, email, token, client);
  }));
}
