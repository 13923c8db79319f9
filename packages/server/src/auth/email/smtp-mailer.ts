// The SMTP mailer (nodemailer). `smtp://` connects in plain text and upgrades with
// STARTTLS when the server offers it (except on loopback, where local mail catchers use
// self-signed certificates); `smtps://` is TLS from the start. A refused message is 502
// EMAIL_SEND_FAILED: the server's text goes to the log, never to the client.
import { createRequire } from 'node:module';
import type nodemailerModule from 'nodemailer';
import { AppError } from '../../http/index.ts';
import type { Logger } from '../../observability/index.ts';
import type { Mailer, MailMessage } from '../deps.ts';

const CONNECTION_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 30_000;
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)$/i;
const BOOLEAN_OPTIONS = ['ignoreTLS', 'requireTLS', 'secure'] as const;

/** The nodemailer SMTP transport options we set. */
export interface SmtpOptions {
  host: string;
  port?: number;
  secure: boolean;
  ignoreTLS: boolean;
  requireTLS?: boolean;
  auth?: { user: string; pass: string };
  tls?: { rejectUnauthorized: boolean };
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
}

/** nodemailer options from `smtp[s]://[user[:pass]@]host[:port][?ignoreTLS=true&requireTLS=true&tls.rejectUnauthorized=false]`. */
export function smtpOptions(smtpUrl: string): SmtpOptions {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    throw new Error('email.smtp_url is not a valid URL; expected smtp://user:pass@host:port or smtps://…');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new Error(`email.smtp_url must start with smtp:// or smtps:// (got ${url.protocol}//)`);
  }
  if (!url.hostname) throw new Error('email.smtp_url has no host');
  const secure = url.protocol === 'smtps:';
  const options: SmtpOptions = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    secure,
    ignoreTLS: !secure && LOOPBACK.test(url.hostname),
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: CONNECTION_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
  };
  if (url.port) options.port = Number(url.port);
  if (url.username) options.auth = { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) };
  for (const key of BOOLEAN_OPTIONS) {
    const value = url.searchParams.get(key);
    if (value !== null) options[key] = booleanParam(key, value);
  }
  const reject = url.searchParams.get('tls.rejectUnauthorized');
  if (reject !== null) options.tls = { rejectUnauthorized: booleanParam('tls.rejectUnauthorized', reject) };
  return options;
}

function booleanParam(key: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`email.smtp_url parameter ${key} must be true or false`);
}

export function createSmtpMailer(smtpUrl: string, from: string, logger: Logger): Mailer {
  const options = smtpOptions(smtpUrl);
  // Required when SMTP is configured, not at start: the outbox needs no nodemailer (~13 MB resident).
  const nodemailer = createRequire(import.meta.url)('nodemailer') as typeof nodemailerModule;
  const transport = nodemailer.createTransport(options);
  return {
    kind: 'smtp',
    async send(message: MailMessage): Promise<void> {
      try {
        await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text, html: message.html });
      } catch (err) {
        const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
        logger.warn({ smtp: { host: options.host, code: e.code, responseCode: e.responseCode, response: e.response ?? e.message } }, 'SMTP server refused an auth email');
        throw new AppError('EMAIL_SEND_FAILED', { message: 'The email could not be sent; try again later', cause: err });
      }
    },
    close(): Promise<void> {
      transport.close();
      return Promise.resolve();
    },
  };
}
