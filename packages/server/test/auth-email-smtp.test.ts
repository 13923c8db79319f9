// The SMTP mailer against a real SMTP server on loopback: what it sends arrives with its
// subject, text and HTML; a refusing or absent server is 502 EMAIL_SEND_FAILED without the
// server's text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../src/http/index.ts';
import { createLogger } from '../src/observability/index.ts';
import { createSmtpMailer } from '../src/auth/email/smtp-mailer.ts';
import { magicLinkMessage } from '../src/auth/email/templates.ts';
import { startSmtpServer, type TestSmtpServer } from './harness/smtp.ts';

const logger = createLogger({ level: 'silent', format: 'json' });
const FROM = 'Fluxbase Test <noreply@fluxbase.test>';

let smtp: TestSmtpServer;
let refusing: TestSmtpServer;

beforeAll(async () => {
  smtp = await startSmtpServer();
  refusing = await startSmtpServer({ rejectRecipients: true });
});
afterAll(async () => {
  await smtp?.close();
  await refusing?.close();
});

describe('SMTP mailer', () => {
  it('delivers subject, text and HTML to the recipient', async () => {
    const mailer = createSmtpMailer(smtp.url, FROM, logger);
    const link = `https://app.example.com/?token=${'x'.repeat(43)}&type=magiclink`;
    await mailer.send(magicLinkMessage('Reader@Example.com', link, '042917', 600_000));
    const mail = await smtp.waitFor('reader@example.com');
    expect(mail.from).toBe('noreply@fluxbase.test');
    expect(mail.subject).toBe('Your sign-in link');
    expect(mail.text).toContain(link);
    expect(mail.text).toContain('042917');
    expect(mail.html).toContain('042917');
    expect(mail.headers.get('from')).toContain('noreply@fluxbase.test');
    await mailer.close();
  });

  it('turns a refused recipient into 502 EMAIL_SEND_FAILED without the server text', async () => {
    const mailer = createSmtpMailer(refusing.url, FROM, logger);
    const err = await mailer.send({ to: 'a@example.com', subject: 's', text: 't', html: '<p>t</p>' }).catch((e: unknown) => e);
    expect(isAppError(err)).toBe(true);
    if (!isAppError(err)) return;
    expect([err.code, err.status]).toEqual(['EMAIL_SEND_FAILED', 502]);
    expect(err.message).not.toMatch(/internal-host-name|550|Mailbox/);
    expect(refusing.messages).toHaveLength(0);
  });

  it('turns an unreachable server into 502 EMAIL_SEND_FAILED', async () => {
    const closed = await startSmtpServer();
    const url = closed.url;
    await closed.close();
    const err = await createSmtpMailer(url, FROM, logger).send({ to: 'a@example.com', subject: 's', text: 't', html: 't' }).catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('EMAIL_SEND_FAILED');
  });
});
