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
  if (config.env === 'production') {
    logger.warn('email.smtp_url is not set: auth emails go to the development outbox (auth.mail_outbox) and the log, not to users');
  }
  return createOutboxMailer(db.pool, logger);
}
