// Email OTP: POST /otp/signin and /otp/resend [email_send] {email, options?: {purpose?,
// should_create_user?}} → {user: null, session: null}; POST /otp/verify [totp_verify]
// {email, token, type: "email"} → Session | TwoFactorChallenge. Phone variants are 400
// PHONE_PROVIDER_DISABLED. The code is mailed by the queue (mail-requests.ts): same answer, same time, for any address.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normalizeEmail } from '../../core/email.ts';
import type { AuthDeps } from '../../deps.ts';
import { bodyOf, invalidField, optionalBoolean, optionalObject, optionalString, rejectPhone, requiredString } from '../body.ts';
import { verifyEmailOtp } from '../email-otp.ts';
import { enqueueMailRequest } from '../mail-requests.ts';
import { PUBLIC } from './public.ts';

// `magiclink`: the code printed in a magic-link email is an email OTP too.
const EMAIL_TYPES = new Set(['email', 'magiclink']);

export function registerOtpRoutes(app: FastifyInstance, deps: AuthDeps): void {
  const send = (resend: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const body = bodyOf(request.body);
    rejectPhone(body);
    const email = normalizeEmail(body.email);
    const options = optionalObject(body, 'options') ?? {};
    const purpose = optionalString(options, 'purpose', 64);
    const createUser = !resend && optionalBoolean(options, 'should_create_user', 'options.should_create_user') === true;
    await deps.limits.hit(reply, 'email_send', { ip: deps.core.clientInfo(request).ip, email });
    await enqueueMailRequest(deps.db.pool, { kind: 'email_otp', email, createUser, purpose });
    return { user: null, session: null };
  };
  app.post('/api/v1/auth/otp/signin', PUBLIC, send(false));
  app.post('/api/v1/auth/otp/resend', PUBLIC, send(true));

  app.post('/api/v1/auth/otp/verify', PUBLIC, async (request, reply) => {
    const body = bodyOf(request.body);
    rejectPhone(body);
    const type = optionalString(body, 'type', 32) ?? 'email';
    if (!EMAIL_TYPES.has(type)) throw invalidField('type', 'must be "email"');
    const email = normalizeEmail(body.email);
    const code = requiredString(body, 'token', 64);
    const client = deps.core.clientInfo(request);
    await deps.limits.hit(reply, 'totp_verify', { ip: client.ip });
    return verifyEmailOtp(deps, email, code, client);
  });
}
