// Password reset: a link token valid `auth.password_reset_expiry`. Confirming sets the new
// password (policy-checked before the token is spent), marks the address verified, clears
// the sign-in lockout, revokes every session of the user, then signs in afresh.
import { authTx } from '../core/db.ts';
import type { ClientInfo, Session, TwoFactorChallenge } from '../core/types.ts';
import type { EmailDeps } from './email-deps.ts';
import { buildLink } from './links.ts';
import { checkLinkToken, consumeLinkToken } from './one-time-tokens.ts';
import { passwordResetMessage } from './templates.ts';
import { mailToken } from './token-mail.ts';
import { finishSignIn, markVerified } from './verified-sign-in.ts';

export async function sendPasswordReset(deps: EmailDeps, email: string, redirectTo: string | undefined): Promise<void> {
  const user = await deps.core.users.findByEmail(email);
  if (!user) {
    deps.logger.debug({ purpose: 'recovery' }, 'No account for this address: no email sent');
    return;
  }
  const ttlMs = deps.config.auth.password_reset_expiry;
  await mailToken(
    deps,
    { purpose: 'recovery', email, userId: user.id, ttlMs, kind: 'link', redirectTo },
    (token) => passwordResetMessage(email, buildLink(deps.config, redirectTo, token, 'recovery'), ttlMs),
  );
}

export function checkResetToken(deps: EmailDeps, token: string): Promise<void> {
  return checkLinkToken(deps.db.pool, ['recovery'], token);
}

export async function confirmPasswordReset(
  deps: EmailDeps, token: string, newPassword: unknown, client: ClientInfo,
): Promise<Session | TwoFactorChallenge> {
  // A cheap token check first, so that garbage tokens cost no password hashing; the
  // policy check before consuming, so that a weak password does not spend the token.
  await checkLinkToken(deps.db.pool, ['recovery'], token);
  const password = deps.core.passwords.validate(newPassword);
  const hash = await deps.core.passwords.hash(password);
  const userId = await authTx(deps.db.pool, async (sql) => {
    const row = await consumeLinkToken(sql, ['recovery'], token);
    const id = await markVerified(sql, row);
    await sql`update auth.users set encrypted_password = ${hash}, updated_at = now() where id = ${id}`;
    await sql`delete from auth.login_attempts where email = ${row.email}`;
    return id;
  });
  await deps.core.sessions.revokeUserSessions(userId, 'password_reset');
  deps.logger.info({ userId }, 'Password reset: all sessions revoked');
  return finishSignIn(deps, userId, 'recovery', client);
}
