// Magic-link sign-in: the email carries a link (32-byte token) and, as Supabase's does, a
// six-digit code usable at /otp/verify. Unknown addresses get no mail and no user, and the
// caller gets the same answer either way.
import type { Config } from '../../config/index.ts';
import { AppError } from '../../http/index.ts';
import { authTx } from '../core/db.ts';
import type { ClientInfo, Session, TwoFactorChallenge } from '../core/types.ts';
import type { EmailDeps } from './email-deps.ts';
import { buildLink } from './links.ts';
import { consumeLinkToken, deleteToken, issueToken } from './one-time-tokens.ts';
import { magicLinkMessage } from './templates.ts';
import { finishSignIn, markVerified } from './verified-sign-in.ts';

export function requireMagicLinks(config: Config): void {
  if (!config.auth.magic_link_enabled) {
    throw new AppError('FEATURE_DISABLED', { message: 'Magic-link sign-in is disabled', hint: 'Set auth.magic_link_enabled' });
  }
}

export async function sendMagicLink(deps: EmailDeps, email: string, redirectTo: string | undefined): Promise<void> {
  const user = await deps.core.users.findByEmail(email);
  if (!user) {
    deps.logger.debug({ purpose: 'magiclink' }, 'No account for this address: no email sent');
    return;
  }
  const ttlMs = deps.config.auth.otp_expiry;
  const pool = deps.db.pool;
  const link = await issueToken(pool, { purpose: 'magiclink', email, userId: user.id, ttlMs, kind: 'link', redirectTo });
  const code = await issueToken(pool, { purpose: 'email_otp', email, userId: user.id, ttlMs, kind: 'code' });
  try {
    await deps.mailer.send(magicLinkMessage(email, buildLink(deps.config, redirectTo, link.token, 'magiclink'), code.token, ttlMs));
  } catch (err) {
    await Promise.all([deleteToken(pool, link.id), deleteToken(pool, code.id)]).catch(() => {});
    throw err;
  }
}

export async function verifyMagicLink(deps: EmailDeps, token: string, client: ClientInfo): Promise<Session | TwoFactorChallenge> {
  const userId = await authTx(deps.db.pool, async (sql) => markVerified(sql, await consumeLinkToken(sql, ['magiclink'], token)));
  return finishSignIn(deps, userId, 'magiclink', client);
}
