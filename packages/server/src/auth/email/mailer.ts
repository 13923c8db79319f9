// Chooses the mailer: SMTP when email.smtp_url is set, otherwise the development outbox
// (with a warning in production, where mail would silently go nowhere useful).
import type { Config } from '../../config/index.ts';
import type { Database } from '../../db/index.ts';
import type { Logger } from '../../observability/index.ts';
import type { Mailer } from '../deps.ts';
import { createOutboxMailer } from './outbox-mailer.ts';
import { createSmtpMailer } from './smtp-mailer.ts';

export function createMailer(config: Config, db: Database, logger: Logger): Mailer {
  if (config.email.smtp_url) return createSmtpMailer(config.email.smtp_url, config.email.from, logger);
  // Production without SMTP would silently keep sign-in links and codes in a table instead
  // of mailing them: refuse to start (config/load.ts checks it with the other keys).
  return createOutboxMailer(db.pool, logger);
}
