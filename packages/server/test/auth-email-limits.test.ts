// The email routes count against the auth limiters of docs/auth.md "Rate limits": every
// sending route against `email_send` (per IP and per address), /otp/verify against
// `totp_verify`. Over the limit the answer is 429 RATE_LIMITED and no mail leaves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signUp, uniqueEmail } from './harness/auth.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';
import { startSmtpServer, type TestSmtpServer } from './harness/smtp.ts';

let db: TestDatabase;
let app: TestApp;
let smtp: TestSmtpServer;

beforeAll(async () => {
  [db, smtp] = await Promise.all([createTestDatabase(), startSmtpServer()]);
  app = await startTestApp(db.url, {
    overrides: { email: { smtp_url: smtp.url }, rate_limit: { email_send: '1000/1h', signup: '1000/1h', totp_verify: '3/1m' } },
  });
});
afterAll(async () => {
  await app?.close();
  await smtp?.close();
  await db?.drop();
});

describe('email rate limits', () => {
  it.each([
    ['/api/v1/auth/magiclink', (email: string) => ({ email })],
    ['/api/v1/auth/otp/signin', (email: string) => ({ email })],
    ['/api/v1/auth/otp/resend', (email: string) => ({ email })],
    ['/api/v1/auth/password/reset', (email: string) => ({ email })],
    ['/api/v1/auth/verify-email/resend', (email: string) => ({ email })],
  ])('%s: a second mail to one address within a minute is 429 and is not sent', async (path, body) => {
    const email = uniqueEmail('limited');
    await signUp(app, email);
    const first = await call(app, 'POST', path, body(email));
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBeTruthy();
    const sent = smtp.to(email).length;
    const second = await call(app, 'POST', path, body(email.toUpperCase()));
    expect(second).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED', details: { limiter: 'email_send' } } });
    expect(second.headers.get('retry-after')).toBeTruthy();
    expect(smtp.to(email).length).toBe(sent);
    // Another address is not affected.
    expect((await call(app, 'POST', path, body(uniqueEmail('other')))).status).toBe(200);
  });

  it('/reauthenticate counts against email_send', async () => {
    const s = await signUp(app, uniqueEmail('limited-reauth'));
    expect((await call(app, 'POST', '/api/v1/auth/reauthenticate', undefined, s.access_token)).status).toBe(200);
    const again = await call(app, 'POST', '/api/v1/auth/reauthenticate', undefined, s.access_token);
    expect(again).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED', details: { limiter: 'email_send' } } });
  });

  it('/otp/verify counts against totp_verify per IP', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      codes.push((await call(app, 'POST', '/api/v1/auth/otp/verify', { email: uniqueEmail('v'), token: '123456' })).status);
    }
    expect(codes).toEqual([400, 400, 400, 429]);
  });
});
