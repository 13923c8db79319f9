// The development mailer, used when email.smtp_url is empty (refused in production): each
// message becomes a row of auth.mail_outbox, readable by admins through
// GET /api/v1/admin/mail/outbox, where links and codes can be followed without a mail
// server. The log line says where it went but never carries the message: its links and
// codes are credentials, and logs travel further than the database.
import type { Pool } from '../../db/index.ts';
import type { Logger } from '../../observability/index.ts';
import type { Mailer, MailMessage } from '../deps.ts';

/** The outbox keeps the newest messages only (it is for development, not an archive). */
export const OUTBOX_KEEP = 1000;

export interface OutboxMessage {
  id: number;
  to: string;
  subject: string;
  text: string;
  html: string;
  created_at: string;
}

export function createOutboxMailer(pool: Pool, logger: Logger): Mailer {
  return {
    kind: 'outbox',
    async send(message: MailMessage): Promise<void> {
      await pool.withConnection(async (sql) => {
        const [row] = await sql<{ id: string }[]>`
          insert into auth.mail_outbox (to_address, subject, text_body, html_body)
          values (${message.to}, ${message.subject}, ${message.text}, ${message.html}) returning id`;
        if (row) await sql`delete from auth.mail_outbox where id <= ${Number(row.id) - OUTBOX_KEEP}`;
      });
      // Not even the subject: some carry the code ("Your sign-in code: 123456").
      logger.info({ mail: { to: message.to } }, 'Email stored in the development outbox (email.smtp_url is not set): read it at GET /api/v1/admin/mail/outbox');
    },
    close: () => Promise.resolve(),
  };
}

/** Newest first; `to` must already be normalised. */
export async function listOutbox(pool: Pool, to: string | undefined, limit: number): Promise<OutboxMessage[]> {
  return pool.withConnection(async (sql) => {
    const rows = await sql<{ id: string; to_address: string; subject: string; text_body: string; html_body: string; created_at: Date }[]>`
      select id, to_address, subject, text_body, html_body, created_at from auth.mail_outbox
      where ${to === undefined ? sql`true` : sql`to_address = ${to}`}
      order by id desc limit ${limit}`;
    return rows.map((r) => ({
      id: Number(r.id), to: r.to_address, subject: r.subject, text: r.text_body, html: r.html_body, created_at: r.created_at.toISOString(),
    }));
  });
}
