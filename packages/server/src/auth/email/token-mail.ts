// Issue a one-time token and mail it. When the mail cannot be sent the token is removed
// again, so a token exists only if its message left.
import type { MailMessage } from '../deps.ts';
import type { EmailDeps } from './email-deps.ts';
import { deleteToken, issueToken, type IssueInput } from './one-time-tokens.ts';

export async function mailToken(deps: EmailDeps, issue: IssueInput, message: (token: string) => MailMessage): Promise<void> {
  const { id, token } = await issueToken(deps.db.pool, issue);
  try {
    await deps.mailer.send(message(token));
  } catch (err) {
    await deleteToken(deps.db.pool, id).catch(() => {});
    throw err;
  }
}
