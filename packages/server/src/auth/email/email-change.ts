// Starting an email change (PATCH /user with `email`): the new address is kept in
// users.new_email and a confirmation link goes to it; POST /verify-email with that token
// switches the address (verification.ts). An address owned by another account is 409.
import { AppError } from '../../http/index.ts';
import { normalizeEmail } from '../core/email.ts';
import type { UserRow } from '../core/types.ts';
import type { EmailDeps } from './email-deps.ts';
import { buildLink } from './links.ts';
import { emailChangeMessage } from './templates.ts';
import { mailToken } from './token-mail.ts';

export async function startEmailChange(deps: EmailDeps, user: UserRow, newEmailInput: string): Promise<void> {
  const newEmail = normalizeEmail(newEmailInput);
  if (newEmail === user.email) return;
  const owner = await deps.core.users.findByEmail(newEmail);
  if (owner) throw new AppError('ALREADY_EXISTS', { message: 'An account with this email already exists' });
  await deps.db.pool.withConnection((sql) => sql`
    update auth.users set new_email = ${newEmail}, updated_at = now() where id = ${user.id}`);
  const ttlMs = deps.config.auth.email_verification_expiry;
  try {
    await mailToken(
      deps,
      { purpose: 'email_change', email: newEmail, userId: user.id, ttlMs, kind: 'link' },
      (token) => emailChangeMessage(newEmail, buildLink(deps.config, undefined, token, 'email_change'), ttlMs),
    );
  } catch (err) {
    // Nothing was mailed: the change is not pending after all.
    await deps.db.pool.withConnection((sql) => sql`
      update auth.users set new_email = null where id = ${user.id} and new_email = ${newEmail}`).catch(() => {});
    throw err;
  }
}
