// POST /api/v1/auth/signin {email, password} (docs/auth.md "Users and passwords"): email
// and password, with the per-email lockout. Unknown emails and wrong passwords take the
// same hashing work and get the same 401; the failure count is kept per address whether or
// not an account exists.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, parseInput } from '../../http/index.ts';
import { countedAttempt } from '../core/attempts.ts';
import { emailField } from '../core/email.ts';
import { findSignInCandidate, recordFailedSignIn, recordSuccessfulSignIn } from '../core/login-attempts.ts';
import { passwordField } from '../core/password-fields.ts';
import type { AuthDeps } from '../deps.ts';

const signinBody = (passwordMaxLength: number) => z.object({ email: emailField(), password: passwordField(passwordMaxLength) });

export function registerSignin(app: FastifyInstance, deps: AuthDeps): void {
  const { core, config } = deps;
  const pool = deps.db.pool;
  const Body = signinBody(config.auth.password_max_length);
  app.post('/api/v1/auth/signin', { config: { allowWithoutKey: true } }, (request, reply) => countedAttempt(deps.metrics, 'password', async () => {
    const client = core.clientInfo(request);
    if (!config.auth.password_login_enabled) throw new AppError('PASSWORD_LOGIN_DISABLED', { message: 'Password sign-in is disabled' });
    const { email, password } = parseInput(Body, request.body);
    await deps.limits.hit(reply, 'login', { ip: client.ip, email });

    const found = await findSignInCandidate(pool, email);
    if (found.retryAfterSeconds !== undefined) throw locked(found.retryAfterSeconds);
    const { user } = found;
    const { ok, rehash } = await core.passwords.verify(user?.encrypted_password ?? null, password);
    if (!ok || !user) {
      if (await recordFailedSignIn(pool, email, config.auth.lockout_max_attempts, config.auth.lockout_duration)) {
        request.log.warn({ request_id: request.id }, 'sign-in locked for an email after repeated failures');
      }
      throw new AppError('INVALID_CREDENTIALS', { message: 'Invalid email or password' });
    }
    if (found.hasAttempts || rehash) {
      await recordSuccessfulSignIn(pool, email, rehash ? { userId: user.id, hash: await core.passwords.hash(password) } : undefined);
    }
    if (config.auth.require_email_verification && !user.email_verified) {
      throw new AppError('EMAIL_NOT_VERIFIED', { message: 'Confirm your email address before signing in', extra: { requires_email_verification: true } });
    }
    return core.completeSignIn(user, 'password', client);
  }));
}

function locked(retryAfterSeconds: number): AppError {
  const s = Math.max(1, retryAfterSeconds);
  return new AppError('ACCOUNT_LOCKED', {
    message: `Too many failed sign-in attempts; try again in ${s} seconds`,
    headers: { 'Retry-After': String(s) },
    details: { retry_after: s },
  });
}
