// Email verification (`auth.email_verification_expiry`) and the confirmation of an email
// change, both answered by POST /verify-email: the token's purpose says which.
import type { ReservedSql } from '../../db/index.ts';
import { AppError, isAppError } from '../../http/index.ts';
import { authTx } from '../core/db.ts';
import type { User, UserRow } from '../core/types.ts';
import type { EmailDeps } from './email-deps.ts';
import { buildLink } from './links.ts';
import { consumeLinkToken, invalidToken, type TokenRow } from './one-time-tokens.ts';
import { checkRedirect, siteUrl } from './redirects.ts';
import { existingSignupMessage, verificationMessage } from './templates.ts';
import { mailToken } from './token-mail.ts';
import { markVerified } from './verified-sign-in.ts';

export async function sendVerification(deps: EmailDeps, user: UserRow, redirectTo?: string): Promise<void> {
  if (!user.email || user.email_verified) return;
  const email = user.email;
  const target = redirectTo === undefined ? undefined : checkRedirect(deps.config, redirectTo);
  const ttlMs = deps.config.auth.email_verification_expiry;
  await mailToken(
    deps,
    { purpose: 'email_verification', email, userId: user.id, ttlMs, kind: 'link', redirectTo: target },
    (token) => verificationMessage(email, buildLink(deps.config, target, token, 'email_verification'), ttlMs),
  );
}

/** POST /verify-email/resend: only unverified accounts get a mail; the answer never says. */
export async function resendVerification(deps: EmailDeps, email: string): Promise<void> {
  const user = await deps.core.users.findByEmail(email);
  if (user) await sendVerification(deps, user);
}

export async function notifyExistingSignup(deps: EmailDeps, user: UserRow): Promise<void> {
  if (user.email) await deps.mailer.send(existingSignupMessage(user.email, siteUrl(deps.config)));
}

export async function verifyEmailToken(deps: EmailDeps, token: string): Promise<{ message: string; user: User }> {
  const { userId, changed } = await authTx(deps.db.pool, async (sql) => {
    const row = await consumeLinkToken(sql, ['email_verification', 'email_change'], token);
    if (row.purpose === 'email_change') return { userId: await applyEmailChange(sql, row), changed: true };
    return { userId: await markVerified(sql, row), changed: false };
  });
  const user = await deps.core.users.findById(userId);
  if (!user) throw invalidToken('unknown');
  return { message: changed ? 'Email address changed' : 'Email verified', user: deps.core.users.toUser(user) };
}

/** Switch to the confirmed new address; it must still be the pending one. */
async function applyEmailChange(sql: ReservedSql, token: TokenRow): Promise<string> {
  if (!token.user_id) throw invalidToken('unknown');
  try {
    const [row] = await sql<{ id: string }[]>`
      update auth.users set email = new_email, new_email = null, email_verified = true,
        email_verified_at = now(), updated_at = now()
      where id = ${token.user_id} and new_email = ${token.email}
      returning id`;
    if (!row) throw invalidToken('unknown');
    return row.id;
  } catch (err) {
    if (isAppError(err)) throw err;
    if ((err as { code?: string }).code === '23505') {
      throw new AppError('ALREADY_EXISTS', { message: 'An account with this email already exists' });
    }
    throw err;
  }
}
