// The end of every emailed sign-in (magic link, email OTP, password reset): the token proved
// the user reads the mailbox, so the address is marked verified, then the core finishes the
// sign-in (a Session, or a TwoFactorChallenge when TOTP is on).
import type { ReservedSql } from '../../db/index.ts';
import type { ClientInfo, Session, SignInMethod, TwoFactorChallenge } from '../core/types.ts';
import type { EmailDeps } from './email-deps.ts';
import { invalidToken, type TokenRow } from './one-time-tokens.ts';

/**
 * Inside the consuming transaction: mark the token's user verified. A token whose user is
 * gone or whose address changed since it was sent is refused ('unknown').
 */
export async function markVerified(sql: ReservedSql, token: TokenRow): Promise<string> {
  if (!token.user_id) throw invalidToken('unknown');
  const [row] = await sql<{ id: string }[]>`
    update auth.users set
      email_verified_at = case when email_verified then email_verified_at else now() end,
      updated_at = case when email_verified then updated_at else now() end,
      email_verified = true
    where id = ${token.user_id} and email = ${token.email}
    returning id`;
  if (!row) throw invalidToken('unknown');
  return row.id;
}

export async function finishSignIn(
  deps: EmailDeps, userId: string, method: SignInMethod, client: ClientInfo,
): Promise<Session | TwoFactorChallenge> {
  const user = await deps.core.users.findById(userId);
  if (!user) throw invalidToken('unknown');
  return deps.core.completeSignIn(user, method, client);
}
