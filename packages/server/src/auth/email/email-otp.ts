// Email OTP sign-in: a six-digit code, three attempts, `auth.otp_expiry`. Unknown
// addresses get no mail unless `should_create_user` is set and sign-ups are enabled, in
// which case the account is created (unverified; the code verifies it).
import { isAppError } from '../../http/index.ts';
import { authTx } from '../core/db.ts';
import type { ClientInfo, Session, TwoFactorChallenge, UserRow } from '../core/types.ts';
import type { EmailDeps } from './email-deps.ts';
import { consumeCode } from './one-time-tokens.ts';
import { emailOtpMessage } from './templates.ts';
import { mailToken } from './token-mail.ts';
import { finishSignIn, markVerified } from './verified-sign-in.ts';

export interface OtpOptions {
  createUser: boolean;
  /** `options.purpose` of the request, kept with the token for the log. */
  purpose?: string | undefined;
}

export async function sendEmailOtp(deps: EmailDeps, email: string, options: OtpOptions): Promise<void> {
  const user = await deps.core.users.findByEmail(email) ?? (options.createUser ? await createOtpUser(deps, email) : undefined);
  if (!user) {
    deps.logger.debug({ purpose: 'email_otp' }, 'No account for this address: no email sent');
    return;
  }
  const ttlMs = deps.config.auth.otp_expiry;
  await mailToken(
    deps,
    { purpose: 'email_otp', email, userId: user.id, ttlMs, kind: 'code', data: options.purpose ? { purpose: options.purpose } : {} },
    (code) => emailOtpMessage(email, code, ttlMs),
  );
}

async function createOtpUser(deps: EmailDeps, email: string): Promise<UserRow | undefined> {
  if (!deps.config.auth.signup_enabled) return undefined;
  try {
    return await deps.core.users.create({ email, emailVerified: false });
  } catch (err) {
    // Created meanwhile by a concurrent request: use that account.
    if (isAppError(err) && err.code === 'ALREADY_EXISTS') return deps.core.users.findByEmail(email);
    throw err;
  }
}

export async function verifyEmailOtp(deps: EmailDeps, email: string, code: string, client: ClientInfo): Promise<Session | TwoFactorChallenge> {
  const token = await consumeCode(deps.db.pool, { purpose: 'email_otp', owner: { email }, code });
  const userId = await authTx(deps.db.pool, (sql) => markVerified(sql, token));
  return finishSignIn(deps, userId, 'email_otp', client);
}
