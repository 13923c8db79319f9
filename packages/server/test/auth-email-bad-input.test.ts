// Bad input to the email routes (issue 5 "Bad input"): invalid emails and bodies, unknown
// addresses answered like known ones, replayed and expired tokens, open redirects, the
// three-attempt OTP limit, disabled features, phone OTP, and an SMTP server that refuses
// the message. Each is a clear 4xx/5xx in the error envelope (docs/errors.md) with nothing changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signUp, uniqueEmail } from './harness/auth.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';
import { codeIn, linkIn, startSmtpServer, type TestSmtpServer } from './harness/smtp.ts';

const SITE = 'https://app.example.com';

let db: TestDatabase;
// Instances sharing a database share its mail queue, so differently configured apps get
// their own database (in production every instance of one database has one mail setup).
let refusingDb: TestDatabase;
let disabledDb: TestDatabase;
let app: TestApp;
let smtp: TestSmtpServer;
let refusing: TestSmtpServer;
let refusingApp: TestApp;
let disabledApp: TestApp;

beforeAll(async () => {
  [db, refusingDb, disabledDb, smtp, refusing] = await Promise.all([
    createTestDatabase(), createTestDatabase(), createTestDatabase(), startSmtpServer(), startSmtpServer({ rejectRecipients: true }),
  ]);
  const auth = { site_url: SITE, redirect_allow_list: [`${SITE}/auth/**`] };
  [app, refusingApp, disabledApp] = await Promise.all([
    startTestApp(db.url, { overrides: { rate_limit: { enabled: false }, email: { smtp_url: smtp.url }, auth } }),
    startTestApp(refusingDb.url, { overrides: { rate_limit: { enabled: false }, email: { smtp_url: refusing.url }, auth } }),
    startTestApp(disabledDb.url, { overrides: { rate_limit: { enabled: false }, auth: { ...auth, magic_link_enabled: false, signup_enabled: false } } }),
  ]);
});
afterAll(async () => {
  await Promise.all([app?.close(), refusingApp?.close(), disabledApp?.close()]);
  await Promise.all([smtp?.close(), refusing?.close()]);
  await Promise.all([db?.drop(), refusingDb?.drop(), disabledDb?.drop()]);
});

const post = (path: string, body?: unknown, token?: string) => call(app, 'POST', path, body, token);
const userCount = async (email: string) => (await db.sql`select id from auth.users where email = ${email}`).length;
const tokenCount = async (email: string) => (await db.sql`select id from auth.one_time_tokens where email = ${email}`).length;

const SENDING_ROUTES = ['/api/v1/auth/magiclink', '/api/v1/auth/otp/signin', '/api/v1/auth/otp/resend', '/api/v1/auth/password/reset', '/api/v1/auth/verify-email/resend'];

describe('invalid input', () => {
  it.each(SENDING_ROUTES)('%s refuses invalid emails with 400 and sends nothing', async (path) => {
    const cases: [unknown, string][] = [
      [undefined, 'MISSING_REQUIRED_FIELD'],
      ['', 'MISSING_REQUIRED_FIELD'],
      ['not-an-email', 'VALIDATION_FAILED'],
      ['two@@example.com', 'VALIDATION_FAILED'],
      ['spaces in@example.com', 'VALIDATION_FAILED'],
      ['no-domain@', 'VALIDATION_FAILED'],
      [42, 'VALIDATION_FAILED'],
      [['a@example.com'], 'VALIDATION_FAILED'],
      [`${'a'.repeat(250)}@example.com`, 'VALIDATION_FAILED'],
      ['a@example.com\r\nBcc: victim@example.com', 'VALIDATION_FAILED'],
    ];
    const before = smtp.messages.length;
    for (const [email, code] of cases) {
      const r = await post(path, email === undefined ? {} : { email });
      expect(r.status, JSON.stringify(email)).toBe(400);
      expect(r.body.code, JSON.stringify(email)).toBe(code);
      expect(r.body.request_id).toBeTruthy();
    }
    expect(smtp.messages.length).toBe(before);
  });

  it('refuses bodies that are not objects and fields of the wrong type', async () => {
    expect((await post('/api/v1/auth/magiclink', [1, 2])).body.code).toBe('INVALID_REQUEST_BODY');
    expect((await post('/api/v1/auth/magiclink', '{"email": ')).body.code).toBe('INVALID_JSON');
    expect((await post('/api/v1/auth/magiclink/verify', { token: 12345 })).body.code).toBe('VALIDATION_FAILED');
    expect((await post('/api/v1/auth/magiclink/verify', {})).body.code).toBe('MISSING_REQUIRED_FIELD');
    expect((await post('/api/v1/auth/otp/signin', { email: 'a@example.com', options: 'x' })).body.code).toBe('VALIDATION_FAILED');
    expect((await post('/api/v1/auth/otp/signin', { email: 'a@example.com', options: { should_create_user: 'yes' } })).body.code).toBe('VALIDATION_FAILED');
    expect((await post('/api/v1/auth/otp/verify', { email: 'a@example.com', token: '123456', type: 'bogus' })).body.code).toBe('VALIDATION_FAILED');
    expect((await post('/api/v1/auth/password/reset/confirm', { token: 'x' })).body.code).toBe('MISSING_REQUIRED_FIELD');
  });

  it.each([
    ['random text', 'not-a-token'],
    ['a plausible token', 'A'.repeat(43)],
    ['SQL', "' or 1=1 --"],
    ['a long string', 'x'.repeat(1000)],
  ])('answers %s as a token with 400 INVALID_ONE_TIME_TOKEN (unknown)', async (_name, token) => {
    for (const path of ['/api/v1/auth/magiclink/verify', '/api/v1/auth/password/reset/verify', '/api/v1/auth/password/reset/confirm', '/api/v1/auth/verify-email']) {
      const r = await post(path, { token, new_password: 'a good long passphrase' });
      expect(r.status, path).toBe(400);
      expect(r.body, path).toMatchObject({ code: 'INVALID_ONE_TIME_TOKEN', details: { reason: 'unknown' } });
    }
  });

  it('answers phone OTP with 400 PHONE_PROVIDER_DISABLED, and /auth/config says phone is off', async () => {
    expect(await post('/api/v1/auth/otp/signin', { phone: '+15550100' })).toMatchObject({ status: 400, body: { code: 'PHONE_PROVIDER_DISABLED' } });
    const verify = await post('/api/v1/auth/otp/verify', { phone: '+15550100', token: '123456', type: 'sms' });
    expect(verify).toMatchObject({ status: 400, body: { code: 'PHONE_PROVIDER_DISABLED', error: 'Phone sign-in is not available' } });
    expect((verify.body as { message: string }).message).toContain('SMS provider');
    expect(((await (await app.fetch('/api/v1/auth/config')).json()) as { phone_enabled: boolean }).phone_enabled).toBe(false);
  });
});

describe('unknown addresses', () => {
  it.each([
    ['/api/v1/auth/magiclink', {}],
    ['/api/v1/auth/otp/signin', {}],
    ['/api/v1/auth/otp/signin', { options: { should_create_user: false } }],
    ['/api/v1/auth/password/reset', {}],
  ])('%s %j answers as for a known address, creates no user and sends nothing', async (path, extra) => {
    const known = uniqueEmail('known');
    await signUp(app, known);
    const unknown = uniqueEmail('unknown');
    const a = await post(path, { email: known, ...extra });
    const b = await post(path, { email: unknown, ...extra });
    expect(b.status).toBe(a.status);
    expect(b.body).toEqual(a.body);
    expect(b.body).toEqual({ user: null, session: null });
    await smtp.waitFor(known);
    expect(smtp.to(unknown)).toHaveLength(0);
    expect(await userCount(unknown)).toBe(0);
    expect(await tokenCount(unknown)).toBe(0);
  });

  it('refuses an OTP for an address that was never sent one', async () => {
    const r = await post('/api/v1/auth/otp/verify', { email: uniqueEmail('nobody'), token: '123456', type: 'email' });
    expect(r).toMatchObject({ status: 400, body: { code: 'INVALID_ONE_TIME_TOKEN', details: { reason: 'unknown' } } });
  });
});

describe('replayed and expired tokens', () => {
  it('refuses a replayed magic link, reset link and OTP with reason "used"', async () => {
    const email = uniqueEmail('replay');
    await signUp(app, email);
    await post('/api/v1/auth/magiclink', { email });
    const mail = await smtp.waitFor(email);
    const magic = linkIn(mail).token;
    expect((await post('/api/v1/auth/magiclink/verify', { token: magic })).status).toBe(200);
    expect((await post('/api/v1/auth/magiclink/verify', { token: magic })).body.details).toEqual({ reason: 'used' });

    await post('/api/v1/auth/password/reset', { email });
    const reset = linkIn(await smtp.waitFor(email)).token;
    expect((await post('/api/v1/auth/password/reset/confirm', { token: reset, new_password: 'first new passphrase' })).status).toBe(200);
    expect((await post('/api/v1/auth/password/reset/confirm', { token: reset, new_password: 'second new passphrase' })).body.details).toEqual({ reason: 'used' });

    await post('/api/v1/auth/otp/signin', { email });
    const code = codeIn(await smtp.waitFor(email));
    expect((await post('/api/v1/auth/otp/verify', { email, token: code })).status).toBe(200);
    expect((await post('/api/v1/auth/otp/verify', { email, token: code })).body.details).toEqual({ reason: 'used' });
  });

  it('refuses expired magic links, reset links and codes with reason "expired", changing nothing', async () => {
    const email = uniqueEmail('expired');
    const s = await signUp(app, email);
    await post('/api/v1/auth/magiclink', { email });
    const mail = await smtp.waitFor(email);
    await post('/api/v1/auth/password/reset', { email });
    const reset = linkIn(await smtp.waitFor(email)).token;
    await db.sql`update auth.one_time_tokens set expires_at = now() - interval '1 second' where email = ${email}`;

    const expired = { status: 400, body: { code: 'INVALID_ONE_TIME_TOKEN', details: { reason: 'expired' } } };
    expect(await post('/api/v1/auth/magiclink/verify', { token: linkIn(mail).token })).toMatchObject(expired);
    expect(await post('/api/v1/auth/otp/verify', { email, token: codeIn(mail) })).toMatchObject(expired);
    expect(await post('/api/v1/auth/password/reset/verify', { token: reset })).toMatchObject(expired);
    expect(await post('/api/v1/auth/password/reset/confirm', { token: reset, new_password: 'a new passphrase here' })).toMatchObject(expired);
    const [row] = await db.sql`select email_verified from auth.users where id = ${s.user.id}`;
    expect(row!.email_verified).toBe(false);
    expect((await call(app, 'GET', '/api/v1/auth/user', undefined, s.access_token)).status).toBe(200);
  });

  it('expires codes after auth.otp_expiry', async () => {
    // Its own database: instances of one database share the mail queue, and this one's expiry differs.
    const shortDb = await createTestDatabase();
    const shortApp = await startTestApp(shortDb.url, { overrides: { rate_limit: { enabled: false }, email: { smtp_url: smtp.url }, auth: { otp_expiry: '1s' } } });
    const db = shortDb;
    try {
      const email = uniqueEmail('short');
      await signUp(shortApp, email);
      await call(shortApp, 'POST', '/api/v1/auth/otp/signin', { email });
      const code = codeIn(await smtp.waitFor(email));
      const [row] = await db.sql`select extract(epoch from expires_at - created_at)::float8 as seconds from auth.one_time_tokens where email = ${email}`;
      expect(row!.seconds).toBeCloseTo(1, 1);
      // Wait until the database says the code has expired.
      const deadline = Date.now() + 5000;
      while ((await db.sql`select 1 from auth.one_time_tokens where email = ${email} and expires_at > now()`).length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const r = await call(shortApp, 'POST', '/api/v1/auth/otp/verify', { email, token: code });
      expect(r.body).toMatchObject({ code: 'INVALID_ONE_TIME_TOKEN', details: { reason: 'expired' } });
    } finally {
      await shortApp.close();
      await shortDb.drop();
    }
  });
});

describe('OTP attempt limit', () => {
  it('allows three attempts per code: the right code on the fourth is refused', async () => {
    const email = uniqueEmail('attempts');
    await signUp(app, email);
    await post('/api/v1/auth/otp/signin', { email });
    const code = codeIn(await smtp.waitFor(email));
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 3; i++) {
      expect(await post('/api/v1/auth/otp/verify', { email, token: wrong })).toMatchObject({ status: 400, body: { details: { reason: 'unknown' } } });
    }
    const r = await post('/api/v1/auth/otp/verify', { email, token: code });
    expect(r).toMatchObject({ status: 400, body: { code: 'INVALID_ONE_TIME_TOKEN', details: { reason: 'too_many_attempts' } } });
    expect(r.body.access_token).toBeUndefined();
    // A new code starts over.
    await post('/api/v1/auth/otp/resend', { email });
    expect((await post('/api/v1/auth/otp/verify', { email, token: codeIn(await smtp.waitFor(email)) })).status).toBe(200);
  });
});

describe('open redirects', () => {
  it.each([
    'https://evil.example.net/',
    'https://app.example.com.evil.net/auth/x',
    'https://app.example.com@evil.net/auth/',
    'https://app.example.com/other',
    'javascript:alert(document.cookie)',
    '//evil.example.net',
  ])('refuses redirect_to %s with 400 INVALID_REDIRECT_URL and sends nothing', async (target) => {
    const email = uniqueEmail('redirect');
    await signUp(app, email);
    for (const path of ['/api/v1/auth/magiclink', '/api/v1/auth/password/reset']) {
      for (const who of [email, uniqueEmail('redirect-unknown')]) {
        const r = await post(path, { email: who, redirect_to: target });
        expect(r.status).toBe(400);
        expect(r.body).toMatchObject({ code: 'INVALID_REDIRECT_URL' });
      }
    }
    expect(smtp.to(email)).toHaveLength(0);
    expect(await tokenCount(email)).toBe(0);
  });
});

describe('disabled features', () => {
  it('answers magic-link routes with 404 FEATURE_DISABLED when auth.magic_link_enabled is off', async () => {
    for (const [path, body] of [['/api/v1/auth/magiclink', { email: 'a@example.com' }], ['/api/v1/auth/magiclink/verify', { token: 'x' }]] as const) {
      const r = await call(disabledApp, 'POST', path, body);
      expect(r).toMatchObject({ status: 404, body: { code: 'FEATURE_DISABLED' } });
    }
  });

  it('should_create_user creates no account when sign-ups are disabled', async () => {
    const email = uniqueEmail('no-signup');
    const r = await call(disabledApp, 'POST', '/api/v1/auth/otp/signin', { email, options: { should_create_user: true } });
    expect(r).toMatchObject({ status: 200, body: { user: null, session: null } });
    await disabledApp.server.drainMail();
    expect((await disabledDb.sql`select id from auth.users where email = ${email}`).length).toBe(0);
  });
});

describe('SMTP server refusing the message', () => {
  it('answers sign-in mail requests as when it accepts (the mail is queued), retries, and leaves no usable token', async () => {
    const email = uniqueEmail('refused');
    const s = await signUp(refusingApp, email);
    for (const [path, body] of [
      ['/api/v1/auth/magiclink', { email }],
      ['/api/v1/auth/otp/signin', { email }],
      ['/api/v1/auth/password/reset', { email }],
    ] as const) {
      const r = await call(refusingApp, 'POST', path, body);
      // The same answer as for a delivered mail: a refusing server is no oracle for the address.
      expect(r, path).toMatchObject({ status: 200, body: { user: null, session: null } });
    }
    await refusingApp.server.drainMail();
    const queued = await refusingDb.sql<{ attempts: number; last_error: string }[]>`select attempts, last_error from auth.mail_requests where email = ${email}`;
    expect(queued).toHaveLength(3);
    for (const q of queued) expect(q).toMatchObject({ attempts: 1, last_error: expect.stringMatching(/./) });
    expect((await refusingDb.sql`select id from auth.one_time_tokens where email = ${email}`).length).toBe(0);
    // Mail a signed-in user asks for is sent at once, and its failure is reported.
    const reauth = await call(refusingApp, 'POST', '/api/v1/auth/reauthenticate', undefined, s.access_token);
    expect(reauth).toMatchObject({ status: 502, body: { code: 'EMAIL_SEND_FAILED' } });
    expect(JSON.stringify(reauth.body)).not.toMatch(/550|Mailbox|internal-host-name|smtp/i);
    expect((await refusingDb.sql`select id from auth.one_time_tokens where email = ${email}`).length).toBe(0);
  });

  it('an email change whose mail fails is not left pending', async () => {
    const s = await signUp(refusingApp, uniqueEmail('refused-change'));
    const next = uniqueEmail('refused-change-new');
    const r = await call(refusingApp, 'PATCH', '/api/v1/auth/user', { email: next }, s.access_token);
    expect(r).toMatchObject({ status: 502, body: { code: 'EMAIL_SEND_FAILED' } });
    const [row] = await refusingDb.sql`select new_email from auth.users where id = ${s.user.id}`;
    expect(row!.new_email).toBeNull();
  });
});
