// Every email flow end to end: HTTP requests to a real server whose mailer talks SMTP to a
// real server on loopback, and the link or code read back from the received message:
// magic link, email OTP, password reset, email change, reauthentication (docs/auth.md "Flows").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signUp, STRONG_PASSWORD, uniqueEmail, type Json } from './harness/auth.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';
import { codeIn, linkIn, startSmtpServer, type TestSmtpServer } from './harness/smtp.ts';

const SITE = 'https://app.example.com';
const NEW_PASSWORD = 'a brand new passphrase 42';

let db: TestDatabase;
let app: TestApp;
let smtp: TestSmtpServer;

beforeAll(async () => {
  [db, smtp] = await Promise.all([createTestDatabase(), startSmtpServer()]);
  app = await startTestApp(db.url, {
    overrides: {
      rate_limit: { enabled: false },
      email: { smtp_url: smtp.url, from: 'Example App <auth@app.example.com>' },
      auth: { site_url: SITE, redirect_allow_list: [`${SITE}/auth/**`] },
    },
  });
});
afterAll(async () => {
  await app?.close();
  await smtp?.close();
  await db?.drop();
});

const post = (path: string, body?: unknown, token?: string) => call(app, 'POST', path, body, token);
const get = (path: string, token?: string) => call(app, 'GET', path, undefined, token);

const expectSession = (body: Json, email: string) => {
  expect(body).toMatchObject({ token_type: 'bearer', user: { email } });
  expect(typeof body.access_token).toBe('string');
  expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
};

describe('magic link', () => {
  it('mails a link (and a code) from email.from; the link signs in once and verifies the email', async () => {
    const email = uniqueEmail('magic');
    const signup = await signUp(app, email);
    expect(signup.user.email_verified).toBe(false);

    const r = await post('/api/v1/auth/magiclink', { email: email.toUpperCase() });
    expect(r).toMatchObject({ status: 200, body: { user: null, session: null } });
    const mail = await smtp.waitFor(email);
    expect(mail.from).toBe('auth@app.example.com');
    expect(mail.subject).toBe('Your sign-in link');
    const link = linkIn(mail);
    expect(link.url.origin + link.url.pathname).toBe(`${SITE}/`);
    expect(link.type).toBe('magiclink');
    expect(link.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(mail.html).toContain(link.token);

    const v = await post('/api/v1/auth/magiclink/verify', { token: link.token });
    expect(v.status).toBe(200);
    expectSession(v.body, email);
    expect(v.body.user.email_verified).toBe(true);
    const [row] = await db.sql`select email_verified, email_verified_at from auth.users where email = ${email}`;
    expect(row!.email_verified).toBe(true);
    expect(row!.email_verified_at).not.toBeNull();
    const me = await get('/api/v1/auth/user', v.body.access_token);
    expect(me.body.email).toBe(email);

    const replay = await post('/api/v1/auth/magiclink/verify', { token: link.token });
    expect(replay).toMatchObject({ status: 400, body: { code: 'INVALID_ONE_TIME_TOKEN', details: { reason: 'used' } } });
  });

  it('puts an allow-listed redirect_to in the link', async () => {
    const email = uniqueEmail('magic-redirect');
    await signUp(app, email);
    const target = `${SITE}/auth/callback?next=%2Fdashboard`;
    expect((await post('/api/v1/auth/magiclink', { email, redirect_to: target })).status).toBe(200);
    const link = linkIn(await smtp.waitFor(email));
    expect(`${link.url.origin}${link.url.pathname}`).toBe(`${SITE}/auth/callback`);
    expect(link.url.searchParams.get('next')).toBe('/dashboard');
    expect((await post('/api/v1/auth/magiclink/verify', { token: link.token })).status).toBe(200);
  });

  it('the code in the magic-link email works at /otp/verify', async () => {
    const email = uniqueEmail('magic-code');
    await signUp(app, email);
    await post('/api/v1/auth/magiclink', { email });
    const code = codeIn(await smtp.waitFor(email));
    const v = await post('/api/v1/auth/otp/verify', { email, token: code, type: 'email' });
    expect(v.status).toBe(200);
    expectSession(v.body, email);
  });

  it('answers a TwoFactorChallenge instead of a session for a user with TOTP on', async () => {
    const email = uniqueEmail('magic-2fa');
    const s = await signUp(app, email);
    await db.sql`update auth.users set totp_enabled = true where id = ${s.user.id}`;
    await post('/api/v1/auth/magiclink', { email });
    const v = await post('/api/v1/auth/magiclink/verify', { token: linkIn(await smtp.waitFor(email)).token });
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ requires_2fa: true, user_id: s.user.id });
    expect(v.body.access_token).toBeUndefined();
  });
});

describe('email OTP', () => {
  it('mails a six-digit code that signs in once', async () => {
    const email = uniqueEmail('otp');
    await signUp(app, email);
    const r = await post('/api/v1/auth/otp/signin', { email, options: { purpose: 'signin' } });
    expect(r).toMatchObject({ status: 200, body: { user: null, session: null } });
    const mail = await smtp.waitFor(email);
    const code = codeIn(mail);
    expect(mail.subject).toContain(code);
    expect(mail.html).toContain(code);
    const v = await post('/api/v1/auth/otp/verify', { email, token: code, type: 'email' });
    expect(v.status).toBe(200);
    expectSession(v.body, email);
    expect(v.body.user.email_verified).toBe(true);
    const replay = await post('/api/v1/auth/otp/verify', { email, token: code, type: 'email' });
    expect(replay).toMatchObject({ status: 400, body: { code: 'INVALID_ONE_TIME_TOKEN', details: { reason: 'used' } } });
  });

  it('resend replaces the earlier code', async () => {
    const email = uniqueEmail('otp-resend');
    await signUp(app, email);
    await post('/api/v1/auth/otp/signin', { email });
    const first = codeIn(await smtp.waitFor(email));
    expect((await post('/api/v1/auth/otp/resend', { email })).status).toBe(200);
    const second = codeIn(await smtp.waitFor(email));
    if (first !== second) {
      const old = await post('/api/v1/auth/otp/verify', { email, token: first, type: 'email' });
      expect(old.body.code).toBe('INVALID_ONE_TIME_TOKEN');
    }
    expect((await post('/api/v1/auth/otp/verify', { email, token: second, type: 'email' })).status).toBe(200);
  });

  it('should_create_user: true creates an account for a new address, verified by the code', async () => {
    const email = uniqueEmail('otp-new');
    const r = await post('/api/v1/auth/otp/signin', { email, options: { should_create_user: true } });
    expect(r.status).toBe(200);
    await app.server.drainMail(); // the account is created with the queued mail (mail-requests.ts)
    const [created] = await db.sql`select email_verified, encrypted_password from auth.users where email = ${email}`;
    expect(created).toEqual({ email_verified: false, encrypted_password: null });
    const v = await post('/api/v1/auth/otp/verify', { email, token: codeIn(await smtp.waitFor(email)) });
    expect(v.status).toBe(200);
    expectSession(v.body, email);
    expect(v.body.user.email_verified).toBe(true);
  });
});

describe('password reset', () => {
  it('mails a reset link; verify checks it, confirm sets the password, revokes every session and signs in', async () => {
    const email = uniqueEmail('reset');
    const s = await signUp(app, email);
    const r = await post('/api/v1/auth/password/reset', { email, redirect_to: `${SITE}/auth/reset` });
    expect(r).toMatchObject({ status: 200, body: { user: null, session: null } });
    const mail = await smtp.waitFor(email);
    expect(mail.subject).toBe('Reset your password');
    const link = linkIn(mail);
    expect(link.type).toBe('recovery');
    expect(link.url.pathname).toBe('/auth/reset');

    expect(await post('/api/v1/auth/password/reset/verify', { token: link.token })).toMatchObject({ status: 200, body: { message: 'Token is valid' } });
    // Verify does not spend the token.
    expect((await post('/api/v1/auth/password/reset/verify', { token: link.token })).status).toBe(200);

    const weak = await post('/api/v1/auth/password/reset/confirm', { token: link.token, new_password: 'short' });
    expect(weak).toMatchObject({ status: 422, body: { code: 'WEAK_PASSWORD' } });

    const c = await post('/api/v1/auth/password/reset/confirm', { token: link.token, new_password: NEW_PASSWORD });
    expect(c.status).toBe(200);
    expectSession(c.body, email);
    // The session from before the reset is gone: its access and refresh tokens are refused.
    expect((await get('/api/v1/auth/user', s.access_token)).status).toBe(401);
    expect((await post('/api/v1/auth/refresh', { refresh_token: s.refresh_token })).status).toBe(401);
    expect((await get('/api/v1/auth/user', c.body.access_token)).status).toBe(200);

    expect((await post('/api/v1/auth/signin', { email, password: STRONG_PASSWORD })).status).toBe(401);
    expect((await post('/api/v1/auth/signin', { email, password: NEW_PASSWORD })).status).toBe(200);

    const replay = await post('/api/v1/auth/password/reset/confirm', { token: link.token, new_password: 'yet another passphrase 7' });
    expect(replay).toMatchObject({ status: 400, body: { code: 'INVALID_ONE_TIME_TOKEN', details: { reason: 'used' } } });
    expect((await post('/api/v1/auth/password/reset/verify', { token: link.token })).body.details.reason).toBe('used');
  });
});

describe('email change', () => {
  it('PATCH /user mails the new address; the link switches the email', async () => {
    const email = uniqueEmail('change-old');
    const next = uniqueEmail('change-new');
    const s = await signUp(app, email);
    const p = await call(app, 'PATCH', '/api/v1/auth/user', { email: next }, s.access_token);
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ email, new_email: next });
    const mail = await smtp.waitFor(next);
    expect(mail.subject).toBe('Confirm your new email address');
    const link = linkIn(mail);
    expect(link.type).toBe('email_change');
    expect(smtp.to(email)).toHaveLength(0);

    const v = await post('/api/v1/auth/verify-email', { token: link.token });
    expect(v.status).toBe(200);
    expect(v.body.message).toBe('Email address changed');
    expect(v.body.user).toMatchObject({ id: s.user.id, email: next, email_verified: true });
    expect(v.body.user.new_email).toBeUndefined();
    const [row] = await db.sql`select email, new_email from auth.users where id = ${s.user.id}`;
    expect(row).toEqual({ email: next, new_email: null });
    expect((await post('/api/v1/auth/signin', { email: next, password: STRONG_PASSWORD })).status).toBe(200);
    expect((await post('/api/v1/auth/verify-email', { token: link.token })).body.details.reason).toBe('used');
  });

  it('answers a change to an address of another account exactly as any change, tells that owner, and changes nothing', async () => {
    const s = await signUp(app, uniqueEmail('change-taken'));
    const taken = uniqueEmail('change-taken-owner');
    await signUp(app, taken);
    const free = uniqueEmail('change-free');
    const toTaken = await call(app, 'PATCH', '/api/v1/auth/user', { email: taken }, s.access_token);
    const toFree = await call(app, 'PATCH', '/api/v1/auth/user', { email: free }, s.access_token);
    expect(toTaken.status).toBe(200);
    expect(toTaken.status).toBe(toFree.status);
    expect(Object.keys(toTaken.body).sort()).toEqual(Object.keys(toFree.body).sort());
    expect(toTaken.body.new_email).toBe(taken);
    let notice = await smtp.waitFor(taken);
    while (notice.subject !== 'Someone tried to move their account to your email') notice = await smtp.waitFor(taken);
    expect(notice.text).not.toMatch(/token=/);
    expect(await smtp.waitFor(free)).toMatchObject({ subject: 'Confirm your new email address' });
    const [row] = await db.sql`select email from auth.users where id = ${s.user.id}`;
    expect(row!.email).toBe(s.user.email);
  });

  it('refuses the link when the new address was taken meanwhile (409), leaving the account as it was', async () => {
    const s = await signUp(app, uniqueEmail('change-race'));
    const next = uniqueEmail('change-race-new');
    await call(app, 'PATCH', '/api/v1/auth/user', { email: next }, s.access_token);
    const link = linkIn(await smtp.waitFor(next));
    await signUp(app, next);
    const v = await post('/api/v1/auth/verify-email', { token: link.token });
    expect(v).toMatchObject({ status: 409, body: { code: 'ALREADY_EXISTS' } });
    expect(JSON.stringify(v.body)).not.toMatch(/duplicate|constraint/i);
    const [row] = await db.sql`select email from auth.users where id = ${s.user.id}`;
    expect(row!.email).toBe(s.user.email);
  });
});

describe('reauthentication', () => {
  it('emails a nonce (not in the response) that allows one password change', async () => {
    const email = uniqueEmail('reauth');
    const s = await signUp(app, email);
    const r = await post('/api/v1/auth/reauthenticate', undefined, s.access_token);
    expect(r.status).toBe(200);
    expect(typeof r.body.message).toBe('string');
    expect(JSON.stringify(r.body)).not.toMatch(/\d{6}/);
    const nonce = codeIn(await smtp.waitFor(email));

    const p = await call(app, 'PATCH', '/api/v1/auth/user', { password: NEW_PASSWORD, nonce }, s.access_token);
    expect(p.status).toBe(200);
    expect((await post('/api/v1/auth/signin', { email, password: NEW_PASSWORD })).status).toBe(200);

    const again = await call(app, 'PATCH', '/api/v1/auth/user', { password: 'third passphrase here 9', nonce }, s.access_token);
    expect(again).toMatchObject({ status: 400, body: { code: 'INVALID_ONE_TIME_TOKEN', details: { reason: 'used' } } });
  });

  it('needs a signed-in user', async () => {
    expect((await post('/api/v1/auth/reauthenticate')).status).toBe(401);
    expect((await post('/api/v1/auth/reauthenticate', undefined, app.keys.service_role)).body.code).toBe('AUTHENTICATION_REQUIRED');
  });

  it("refuses another user's nonce", async () => {
    const a = await signUp(app, uniqueEmail('reauth-a'));
    const b = await signUp(app, uniqueEmail('reauth-b'));
    await post('/api/v1/auth/reauthenticate', undefined, a.access_token);
    const nonce = codeIn(await smtp.waitFor(a.user.email));
    const p = await call(app, 'PATCH', '/api/v1/auth/user', { password: NEW_PASSWORD, nonce }, b.access_token);
    expect(p).toMatchObject({ status: 400, body: { code: 'INVALID_ONE_TIME_TOKEN' } });
  });
});
