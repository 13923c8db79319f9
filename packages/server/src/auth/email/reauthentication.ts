// Reauthentication (docs/auth.md "Flows"; upstream returned the nonce in the response): a
// six-digit nonce is emailed to the signed-in user, valid 5 minutes, single use, three
// attempts; PATCH /user accepts it in place of the current password.
import { AppError } from '../../http/index.ts';
import type { UserRow } from '../core/types.ts';
import { REAUTH_NONCE_TTL_MS, type EmailDeps } from './email-deps.ts';
import { consumeCode, invalidToken } from './one-time-tokens.ts';
import { reauthenticationMessage } from './templates.ts';
import { mailToken } from './token-mail.ts';

/** The address the nonce goes to; anonymous users have none. */
export function reauthEmail(user: UserRow): string {
  if (!user.email) {
    throw new AppError('VALIDATION_FAILED', {
      message: 'This account has no email address to send a code to',
      details: { fields: { email: 'the account has no email address' } },
    });
  }
  return user.email;
}

export async function sendReauthNonce(deps: EmailDeps, user: UserRow): Promise<void> {
  const email = reauthEmail(user);
  await mailToken(
    deps,
    { purpose: 'reauthentication', email, userId: user.id, ttlMs: REAUTH_NONCE_TTL_MS, kind: 'code' },
    (code) => reauthenticationMessage(email, code, REAUTH_NONCE_TTL_MS),
  );
}

export async function consumeReauthNonce(deps: EmailDeps, user: UserRow, nonce: unknown): Promise<void> {
  if (typeof nonce !== 'string' || nonce.length === 0) throw invalidToken('unknown');
  await consumeCode(deps.db.pool, { purpose: 'reauthentication', owner: { userId: user.id }, code: nonce });
}
