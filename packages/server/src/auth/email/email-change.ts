// Starting an email change (PATCH /user with `email`): the new address is kept in
// users.new_email and a confirmation link goes to it; POST /verify-email with that token
// switches the address (verification.ts). An address owned by another account gets the
// same answer (no oracle for which addresses have accounts); its owner is told instead,
// and nothing changes.
import { normalizeEmail } from '../core/email.ts';
import type { UserRow } from '../core/types.ts';
import type { EmailDeps } from './email-deps.ts';
import { buildLink } from './links.ts';
import { siteUrl } from './redirects.ts';
import { emailChangeMessage, emailTakenMessage } from './templates.ts';
import { mailToken } from './token-mail.ts';

export async function startEmailChange(deps: EmailDeps, user: UserRow, newEmailInput: string): Promise<void> {
  const newEmail = normalizeEmail(newEmailInput);
  if (newEmail === user.email) return;
  const owner = await deps.core.users.findByEmail(newEmail);
  if (owner) {
    // Pending like any change (the caller sees the same account state), but no link is
    // issued, so it can never be confirmed.
    await deps.db.pool.withConnection((sql) => sql`
      update auth.users set new_email = ${newEmail}, updated_at = now() where id = ${user.id}`);
    await deps.mailer.send(emailTakenMessage(newEmail, siteUrl(deps.config)));
    deps.logger.info({ userId: user.id }, 'Email change to an address of another account: its owner was told, nothing changed');
    return;
  }
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
