// Email verification with auth.require_email_verification on, against real SMTP: sign-up
// mails a link, password sign-in waits for it, /verify-email confirms it, resend answers
// generically, and a sign-up with a taken address mails its owner a notice instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, STRONG_PASSWORD, uniqueEmail } from './harness/auth.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';
import { linkIn, startSmtpServer, type TestSmtpServer } from './harness/smtp.ts';

const SITE = 'https://verify.example.com';

let db: TestDatabase;
let app: TestApp;
let smtp: TestSmtpServer;

beforeAll(async () => {
  [db, smtp] = await Promise.all([createTestDatabase(), startSmtpServer()]);
  app = await startTestApp(db.url, {
    overrides: {
      rate_limit: { enabled: false },
      email: { smtp_url: smtp.url },
      auth: { site_url: SITE, require_email_verification: true },
    },
  });
});
afterAll(async () => {
  await app?.close();
  await smtp?.close();
  await db?.drop();
});

const post = (path: string, body?: unknown) => call(app, 'POST', path, body);

describe('email verification', () => {
  it('mails a link at sign-up; sign-in waits for it; the link verifies once', async () => {
    const email = uniqueEmail('verify');
    const s = await post('/api/v1/auth/signup', { email, password: STRONG_PASSWORD });
    expect(s).toMatchObject({ status: 201, body: { requires_email_verification: true } });
    const mail = await smtp.waitFor(email);
    expect(mail.subject).toBe('Confirm your email address');
    const link = linkIn(mail);
    expect(link.url.origin).toBe(SITE);
    expect(link.type).toBe('email_verification');

    expect(await post('/api/v1/auth/signin', { email, password: STRONG_PASSWORD })).toMatchObject({ status: 403, body: { code: 'EMAIL_NOT_VERIFIED' } });

    const v = await post('/api/v1/auth/verify-email', { token: link.token });
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ message: 'Email verified', user: { email, email_verified: true } });
    expect(v.body.access_token).toBeUndefined();
    expect((await post('/api/v1/auth/signin', { email, password: STRONG_PASSWORD })).status).toBe(200);

    const replay = await post('/api/v1/auth/verify-email', { token: link.token });
    expect(replay).toMatchObject({ status: 400, body: { code: 'INVALID_ONE_TIME_TOKEN', details: { reason: 'used' } } });
  });

  it('resend mails a new link that replaces the first; the answer is the same for anyone', async () => {
    const email = uniqueEmail('verify-resend');
    await post('/api/v1/auth/signup', { email, password: STRONG_PASSWORD });
    const first = linkIn(await smtp.waitFor(email));
    const r = await post('/api/v1/auth/verify-email/resend', { email });
    expect(r.status).toBe(200);
    const second = linkIn(await smtp.waitFor(email));
    expect(second.token).not.toBe(first.token);
    expect((await post('/api/v1/auth/verify-email', { token: first.token })).body.details.reason).toBe('unknown');
    expect((await post('/api/v1/auth/verify-email', { token: second.token })).status).toBe(200);

    // Verified accounts and unknown addresses: the same answer, no mail.
    const verified = await post('/api/v1/auth/verify-email/resend', { email });
    const unknown = await post('/api/v1/auth/verify-email/resend', { email: uniqueEmail('nobody') });
    expect(verified).toMatchObject({ status: 200, body: r.body });
    expect(unknown).toMatchObject({ status: 200, body: r.body });
    // The mailer finishes the SMTP transaction before the route answers: no wait is needed.
    expect(smtp.to(email)).toHaveLength(2);
  });

  it('a sign-up with a verified address mails its owner a notice, not a link', async () => {
    const email = uniqueEmail('verify-taken');
    await post('/api/v1/auth/signup', { email, password: STRONG_PASSWORD });
    await post('/api/v1/auth/verify-email', { token: linkIn(await smtp.waitFor(email)).token });
    const again = await post('/api/v1/auth/signup', { email, password: 'someone else passphrase' });
    expect(again).toMatchObject({ status: 201, body: { requires_email_verification: true } });
    const notice = await smtp.waitFor(email);
    expect(notice.subject).toBe('Someone tried to sign up with your email');
    expect(notice.text).not.toMatch(/token=/);
    expect(await db.sql`select id from auth.users where email = ${email}`).toHaveLength(1);
  });

  it('an expired verification link is refused with reason "expired"', async () => {
    const email = uniqueEmail('verify-expired');
    await post('/api/v1/auth/signup', { email, password: STRONG_PASSWORD });
    const link = linkIn(await smtp.waitFor(email));
    await db.sql`update auth.one_time_tokens set expires_at = now() - interval '1 second' where email = ${email} and purpose = 'email_verification'`;
    expect(await post('/api/v1/auth/verify-email', { token: link.token })).toMatchObject({ status: 400, body: { code: 'INVALID_ONE_TIME_TOKEN', details: { reason: 'expired' } } });
    const [row] = await db.sql`select email_verified from auth.users where email = ${email}`;
    expect(row!.email_verified).toBe(false);
  });
});
