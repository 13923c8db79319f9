// The auth core against a real server and database: sign-up, sign-in with lockout,
// sessions with rotating refresh tokens and family revocation, sign-out scopes, the
// current user, and the access-token revocation that principal resolution honours.
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from '../src/http/index.ts';
import { call, eventually, jwtPayload, signUp, STRONG_PASSWORD, uniqueEmail, type Json } from './harness/auth.ts';
import { createTestDatabase, startTestApp, TEST_JWT_SECRET, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe(`
    create table public.notes (id serial primary key, owner uuid not null default auth.uid(), body text not null);
    alter table public.notes enable row level security;
    create policy own_rows on public.notes for all to authenticated using (owner = auth.uid()) with check (owner = auth.uid());`);
  app = await startTestApp(db.url, {
    overrides: { rate_limit: { enabled: false }, auth: { refresh_reuse_interval: '2s', lockout_max_attempts: 3, lockout_duration: '15m' } },
  });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const post = (path: string, body?: unknown, token?: string) => call(app, 'POST', path, body, token);

describe('sign-up', () => {
  it('creates a user and answers a Session with the documented claims', async () => {
    const email = uniqueEmail('Mixed.Case');
    const r = await post('/api/v1/auth/signup', { email: `  ${email.toUpperCase()} `, password: STRONG_PASSWORD, user_metadata: { name: 'Ann' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ token_type: 'bearer', expires_in: 900 });
    expect(r.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(r.body.expires_at).toBe(jwtPayload(r.body.access_token).exp);
    expect(r.body.user).toMatchObject({ email: email.toLowerCase(), email_verified: false, role: 'authenticated', user_metadata: { name: 'Ann' }, app_metadata: {}, is_anonymous: false, totp_enabled: false, phone: null });
    expect(Object.keys(r.body.user)).not.toContain('encrypted_password');
    const claims = jwtPayload(r.body.access_token);
    expect(claims).toMatchObject({ iss: 'fluxbase', aud: 'authenticated', sub: r.body.user.id, user_id: r.body.user.id, role: 'authenticated', user_role: 'authenticated', email: email.toLowerCase(), is_anonymous: false, aal: 'aal1', token_type: 'access' });
    const [session] = await db.sql`select id from auth.sessions where user_id = ${r.body.user.id}`;
    expect(claims.session_id).toBe(session!.id);
    expect(claims.amr[0].method).toBe('signup');
    const [row] = await db.sql`select encrypted_password from auth.users where id = ${r.body.user.id}`;
    expect(row!.encrypted_password).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('refuses a duplicate email with 409 and no database text', async () => {
    const email = uniqueEmail();
    await signUp(app, email);
    const r = await post('/api/v1/auth/signup', { email: email.toUpperCase(), password: STRONG_PASSWORD });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'ALREADY_EXISTS', message: 'An account with this email already exists' });
    expect(JSON.stringify(r.body)).not.toMatch(/duplicate|constraint|users_email|sql/i);
  });

  it('refuses role, app_metadata and email_verified from the client (forged role)', async () => {
    for (const extra of [{ role: 'admin' }, { app_metadata: { plan: 'pro' } }, { email_verified: true }]) {
      const email = uniqueEmail();
      const r = await post('/api/v1/auth/signup', { email, password: STRONG_PASSWORD, ...extra });
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('INSUFFICIENT_PERMISSIONS');
      expect(await db.sql`select 1 from auth.users where email = ${email}`).toHaveLength(0);
    }
  });

  it.each([
    ['no email', { password: STRONG_PASSWORD }, 400, 'MISSING_REQUIRED_FIELD'],
    ['no @', { email: 'nobody.example.com', password: STRONG_PASSWORD }, 400, 'VALIDATION_FAILED'],
    ['two @', { email: 'a@b@example.com', password: STRONG_PASSWORD }, 400, 'VALIDATION_FAILED'],
    ['spaces inside', { email: 'a b@example.com', password: STRONG_PASSWORD }, 400, 'VALIDATION_FAILED'],
    ['no dot in domain', { email: 'a@localhost', password: STRONG_PASSWORD }, 400, 'VALIDATION_FAILED'],
    ['number email', { email: 42, password: STRONG_PASSWORD }, 400, 'VALIDATION_FAILED'],
    ['too long email', { email: `${'a'.repeat(250)}@example.com`, password: STRONG_PASSWORD }, 400, 'VALIDATION_FAILED'],
    ['no password', { email: 'x@example.com' }, 400, 'MISSING_REQUIRED_FIELD'],
    ['short password', { email: 'x@example.com', password: 'short' }, 422, 'WEAK_PASSWORD'],
    ['common password', { email: 'x@example.com', password: 'password123' }, 422, 'WEAK_PASSWORD'],
    ['129-char password', { email: 'x@example.com', password: 'a'.repeat(129) }, 422, 'WEAK_PASSWORD'],
    ['password with control chars', { email: 'x@example.com', password: 'abc\u0000defghij' }, 422, 'WEAK_PASSWORD'],
    ['array body', [1, 2], 400, 'INVALID_REQUEST_BODY'],
    ['metadata not an object', { email: 'x@example.com', password: STRONG_PASSWORD, user_metadata: [1] }, 400, 'VALIDATION_FAILED'],
  ])('refuses %s', async (_name, body, status, code) => {
    const r = await post('/api/v1/auth/signup', body);
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
    expect(r.body.request_id).toBeTruthy();
    expect(await db.sql`select 1 from auth.users where email = 'x@example.com'`).toHaveLength(0);
  });

  it('answers 413 for a 1 MB password without hashing it', async () => {
    const r = await post('/api/v1/auth/signup', { email: uniqueEmail(), password: 'a'.repeat(1024 * 1024) });
    expect(r.status).toBe(413);
    expect(r.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('normalises unicode passwords (NFD at sign-up, NFC at sign-in)', async () => {
    const email = uniqueEmail();
    const nfd = 'Cafe\u0301 au lait, s\u0131l vous pla\u0131t';
    await signUp(app, email, nfd);
    const r = await post('/api/v1/auth/signin', { email, password: nfd.normalize('NFC') });
    expect(r.status).toBe(200);
    expect(r.body.access_token).toBeTruthy();
  });

  it('answers the same 201 for a taken email when verification is required, and sends no tokens', async () => {
    const db2 = await createTestDatabase();
    const app2 = await startTestApp(db2.url, { overrides: { rate_limit: { enabled: false }, auth: { require_email_verification: true } } });
    try {
      const email = uniqueEmail();
      const first = await call(app2, 'POST', '/api/v1/auth/signup', { email, password: STRONG_PASSWORD });
      const second = await call(app2, 'POST', '/api/v1/auth/signup', { email, password: STRONG_PASSWORD });
      for (const r of [first, second]) {
        expect(r.status).toBe(201);
        expect(r.body).toMatchObject({ requires_email_verification: true, message: 'Check your email to confirm your account' });
        expect(r.body.access_token).toBeUndefined();
        expect(Object.keys(r.body.user).sort()).toEqual(Object.keys(first.body.user).sort());
      }
      expect(await db2.sql`select 1 from auth.users where email = ${email}`).toHaveLength(1);
      const signin = await call(app2, 'POST', '/api/v1/auth/signin', { email, password: STRONG_PASSWORD });
      expect(signin.status).toBe(403);
      expect(signin.body).toMatchObject({ code: 'EMAIL_NOT_VERIFIED', requires_email_verification: true });
    } finally {
      await app2.close();
      await db2.drop();
    }
  });
});

describe('sign-in', () => {
  it('signs in, and answers the same 401 for a wrong password and an unknown email', async () => {
    const email = uniqueEmail();
    await signUp(app, email);
    const ok = await post('/api/v1/auth/signin', { email, password: STRONG_PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.body.user.email).toBe(email);
    const wrong = await post('/api/v1/auth/signin', { email, password: 'not the password' });
    const unknown = await post('/api/v1/auth/signin', { email: uniqueEmail('ghost'), password: 'not the password' });
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(401);
      expect({ code: r.body.code, message: r.body.message }).toEqual({ code: 'INVALID_CREDENTIALS', message: 'Invalid email or password' });
    }
  });

  it('locks an email after repeated failures (403 ACCOUNT_LOCKED + Retry-After), also for unknown emails', async () => {
    const email = uniqueEmail();
    await signUp(app, email);
    const ghost = uniqueEmail('ghost');
    for (const target of [email, ghost]) {
      for (let i = 0; i < 3; i++) expect((await post('/api/v1/auth/signin', { email: target, password: 'wrong password' })).status).toBe(401);
      const locked = await post('/api/v1/auth/signin', { email: target, password: STRONG_PASSWORD });
      expect(locked.status).toBe(403);
      expect(locked.body.code).toBe('ACCOUNT_LOCKED');
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    }
    // Another email is unaffected; the lock lifts when its time has passed.
    const other = uniqueEmail();
    await signUp(app, other);
    expect((await post('/api/v1/auth/signin', { email: other, password: STRONG_PASSWORD })).status).toBe(200);
    await db.sql`update auth.login_attempts set locked_until = now() - interval '1 second' where email = ${email}`;
    expect((await post('/api/v1/auth/signin', { email, password: STRONG_PASSWORD })).status).toBe(200);
  });

  it('verifies a legacy bcrypt hash and rehashes it to argon2id', async () => {
    const email = uniqueEmail('legacy');
    const hash = bcrypt.hashSync('legacy password 1', 4);
    await db.sql`insert into auth.users (email, encrypted_password) values (${email}, ${hash})`;
    const r = await post('/api/v1/auth/signin', { email, password: 'legacy password 1' });
    expect(r.status).toBe(200);
    const [row] = await db.sql`select encrypted_password from auth.users where email = ${email}`;
    expect(row!.encrypted_password).toMatch(/^\$argon2id\$/);
    expect((await post('/api/v1/auth/signin', { email, password: 'legacy password 1' })).status).toBe(200);
  });

  it('refuses a banned user', async () => {
    const email = uniqueEmail();
    const s = await signUp(app, email);
    await db.sql`update auth.users set banned_until = now() + interval '1 hour' where id = ${s.user.id}`;
    const r = await post('/api/v1/auth/signin', { email, password: STRONG_PASSWORD });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('ACCESS_DENIED');
    // The existing session's tokens stop working too (within the 5 s liveness cache).
    expect(await eventually(async () => (await call(app, 'GET', '/rest/v1/notes', undefined, s.access_token)).status === 401)).toBe(true);
    expect((await post('/api/v1/auth/refresh', { refresh_token: s.refresh_token })).status).toBe(401);
  });

  it.each([
    ['no body', undefined, 400],
    ['string body', '"x"', 400],
    ['bad email', { email: 'nope', password: 'x' }, 400],
    ['password not a string', { email: 'a@example.com', password: 123 }, 400],
    ['missing password', { email: 'a@example.com' }, 400],
  ])('refuses %s', async (_n, body, status) => {
    const r = await post('/api/v1/auth/signin', body);
    expect(r.status).toBe(status);
    expect(r.body.code).toMatch(/^(INVALID_REQUEST_BODY|VALIDATION_FAILED|MISSING_REQUIRED_FIELD|INVALID_JSON)$/);
  });
});

describe('sessions and refresh', () => {
  it('rotates the refresh token and rebuilds the claims from the database', async () => {
    const s = await signUp(app);
    await db.sql`update auth.users set user_metadata = '{"plan":"pro"}', role = 'editor' where id = ${s.user.id}`;
    const r = await post('/api/v1/auth/refresh', { refresh_token: s.refresh_token });
    expect(r.status).toBe(200);
    expect(r.body.refresh_token).not.toBe(s.refresh_token);
    expect(r.body.user).toMatchObject({ id: s.user.id, role: 'editor', user_metadata: { plan: 'pro' } });
    const before = jwtPayload(s.access_token);
    const after = jwtPayload(r.body.access_token);
    expect(after.session_id).toBe(before.session_id);
    expect(after).toMatchObject({ user_role: 'editor', role: 'authenticated', user_metadata: { plan: 'pro' } });
    expect((await post('/api/v1/auth/refresh', { refresh_token: r.body.refresh_token })).status).toBe(200);
  });

  it('gives concurrent refreshes of one token the same child and keeps the family alive', async () => {
    const s = await signUp(app);
    const results = await Promise.all(Array.from({ length: 8 }, () => post('/api/v1/auth/refresh', { refresh_token: s.refresh_token })));
    for (const r of results) expect(r.status).toBe(200);
    const children = new Set(results.map((r) => r.body.refresh_token));
    expect(children.size).toBe(1);
    const [child] = [...children] as [string];
    expect((await call(app, 'GET', '/api/v1/auth/user', undefined, results[0]!.body.access_token)).status).toBe(200);
    expect((await post('/api/v1/auth/refresh', { refresh_token: child })).status).toBe(200);
  });

  it('revokes the whole family when a rotated token is replayed after the reuse interval', async () => {
    const s = await signUp(app);
    const r1 = await post('/api/v1/auth/refresh', { refresh_token: s.refresh_token });
    const r2 = await post('/api/v1/auth/refresh', { refresh_token: r1.body.refresh_token });
    expect(r2.status).toBe(200);
    // s.refresh_token was rotated, and its child has moved on: a replay is reuse.
    const replay = await post('/api/v1/auth/refresh', { refresh_token: s.refresh_token });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('REFRESH_TOKEN_REUSED');
    const [session] = await db.sql`select revoked_at, revoked_reason from auth.sessions where id = ${jwtPayload(s.access_token).session_id}`;
    expect(session).toMatchObject({ revoked_reason: 'refresh_token_reused' });
    // Every token of the family is dead: the newest refresh token and the access tokens.
    const newest = await post('/api/v1/auth/refresh', { refresh_token: r2.body.refresh_token });
    expect(newest.status).toBe(401);
    expect(newest.body.code).toBe('INVALID_REFRESH_TOKEN');
    const me = await call(app, 'GET', '/api/v1/auth/user', undefined, r2.body.access_token);
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('TOKEN_REVOKED');
    const rest = await call(app, 'GET', '/rest/v1/notes', undefined, r2.body.access_token);
    expect(rest.status).toBe(401);
  });

  it('treats a parent replayed after the reuse interval as reuse even if the child is unused', async () => {
    const s = await signUp(app);
    const r1 = await post('/api/v1/auth/refresh', { refresh_token: s.refresh_token });
    expect(r1.status).toBe(200);
    await db.sql`update auth.refresh_tokens set rotated_at = now() - interval '1 minute' where token_hash = sha256(convert_to(${s.refresh_token}, 'UTF8'))`;
    const replay = await post('/api/v1/auth/refresh', { refresh_token: s.refresh_token });
    expect(replay.body.code).toBe('REFRESH_TOKEN_REUSED');
    expect((await post('/api/v1/auth/refresh', { refresh_token: r1.body.refresh_token })).status).toBe(401);
  });

  it.each([
    ['unknown token', { refresh_token: 'A'.repeat(43) }, 401, 'INVALID_REFRESH_TOKEN'],
    ['malformed token', { refresh_token: 'not a token' }, 401, 'INVALID_REFRESH_TOKEN'],
    ['a JWT as refresh token', { refresh_token: signJwt({ sub: 'x' }, TEST_JWT_SECRET) }, 401, 'INVALID_REFRESH_TOKEN'],
    ['missing token', {}, 400, 'MISSING_REQUIRED_FIELD'],
    ['number token', { refresh_token: 5 }, 400, 'VALIDATION_FAILED'],
  ])('refuses %s', async (_n, body, status, code) => {
    const r = await post('/api/v1/auth/refresh', body);
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
  });

  it('refuses an expired refresh token', async () => {
    const s = await signUp(app);
    await db.sql`update auth.sessions set expires_at = now() - interval '1 second' where id = ${jwtPayload(s.access_token).session_id}`;
    const r = await post('/api/v1/auth/refresh', { refresh_token: s.refresh_token });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: 'INVALID_REFRESH_TOKEN', details: { reason: 'expired' } });
  });
});

describe('sign-out', () => {
  const signInAgain = async (email: string) => (await post('/api/v1/auth/signin', { email, password: STRONG_PASSWORD })).body;
  const status = async (s: Json) => (await call(app, 'GET', '/api/v1/auth/user', undefined, s.access_token)).status;

  it('local ends this session only; its access and refresh tokens are refused at once', async () => {
    const email = uniqueEmail();
    const a = await signUp(app, email);
    const b = await signInAgain(email);
    const r = await post('/api/v1/auth/signout', undefined, a.access_token);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ message: 'Successfully signed out' });
    expect(await status(a)).toBe(401);
    expect((await call(app, 'GET', '/api/v1/tables/notes', undefined, a.access_token)).body.code).toBe('TOKEN_REVOKED');
    expect((await call(app, 'GET', '/rest/v1/notes', undefined, a.access_token)).body.code).toBe('PGRST303');
    expect((await post('/api/v1/auth/refresh', { refresh_token: a.refresh_token })).status).toBe(401);
    expect(await status(b)).toBe(200);
  });

  it('global ends all sessions; others keeps only this one', async () => {
    const email = uniqueEmail();
    const a = await signUp(app, email);
    const b = await signInAgain(email);
    const c = await signInAgain(email);
    expect((await post('/api/v1/auth/signout', { scope: 'others' }, a.access_token)).status).toBe(200);
    expect([await status(a), await status(b), await status(c)]).toEqual([200, 401, 401]);
    expect((await post('/api/v1/auth/signout', { scope: 'global' }, a.access_token)).status).toBe(200);
    expect(await status(a)).toBe(401);
  });

  it('refuses a bad scope and callers without a session', async () => {
    const s = await signUp(app);
    expect((await post('/api/v1/auth/signout', { scope: 'everything' }, s.access_token)).body.code).toBe('VALIDATION_FAILED');
    expect((await post('/api/v1/auth/signout', {})).body.code).toBe('AUTHENTICATION_REQUIRED');
    expect((await post('/api/v1/auth/signout', {}, app.keys.anon)).body.code).toBe('AUTHENTICATION_REQUIRED');
    expect((await post('/api/v1/auth/signout', {}, app.keys.service_role)).body.code).toBe('AUTHENTICATION_REQUIRED');
    // A user token not issued by sign-in (no session) cannot use session routes.
    expect((await post('/api/v1/auth/signout', {}, app.userToken(s.user.id))).body.code).toBe('AUTHENTICATION_REQUIRED');
  });
});

describe('the current user', () => {
  it('GET /user answers the User shape', async () => {
    const s = await signUp(app);
    const r = await call(app, 'GET', '/api/v1/auth/user', undefined, s.access_token);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ...s.user, last_sign_in_at: expect.any(String) as unknown, updated_at: expect.any(String) as unknown });
  });

  it('PATCH /user merges user_metadata and refuses admin-only fields', async () => {
    const s = await signUp(app, uniqueEmail(), STRONG_PASSWORD, { user_metadata: { a: 1 } });
    const r = await call(app, 'PATCH', '/api/v1/auth/user', { data: { b: 2 } }, s.access_token);
    expect(r.status).toBe(200);
    expect(r.body.user_metadata).toEqual({ a: 1, b: 2 });
    for (const body of [{ role: 'admin' }, { app_metadata: { x: 1 } }, { email_verified: true }]) {
      const bad = await call(app, 'PATCH', '/api/v1/auth/user', body, s.access_token);
      expect(bad.status).toBe(403);
      expect(bad.body.code).toBe('INSUFFICIENT_PERMISSIONS');
    }
    const [row] = await db.sql`select role, app_metadata, email_verified from auth.users where id = ${s.user.id}`;
    expect(row).toEqual({ role: 'authenticated', app_metadata: {}, email_verified: false });
    expect((await call(app, 'PATCH', '/api/v1/auth/user', { nickname: 'x' }, s.access_token)).body.code).toBe('VALIDATION_FAILED');
  });

  it('changes the password with the current password and revokes the other sessions', async () => {
    const email = uniqueEmail();
    const a = await signUp(app, email);
    const b = (await post('/api/v1/auth/signin', { email, password: STRONG_PASSWORD })).body;
    const missing = await call(app, 'PATCH', '/api/v1/auth/user', { password: 'a new strong passphrase' }, a.access_token);
    expect(missing.status).toBe(400);
    const wrong = await call(app, 'PATCH', '/api/v1/auth/user', { password: 'a new strong passphrase', current_password: 'nope nope' }, a.access_token);
    expect(wrong.status).toBe(401);
    const weak = await call(app, 'PATCH', '/api/v1/auth/user', { password: 'short', current_password: STRONG_PASSWORD }, a.access_token);
    expect(weak.status).toBe(422);
    const ok = await call(app, 'PATCH', '/api/v1/auth/user', { password: 'a new strong passphrase', current_password: STRONG_PASSWORD }, a.access_token);
    expect(ok.status).toBe(200);
    expect((await call(app, 'GET', '/api/v1/auth/user', undefined, a.access_token)).status).toBe(200);
    expect((await call(app, 'GET', '/api/v1/auth/user', undefined, b.access_token)).status).toBe(401);
    expect((await post('/api/v1/auth/signin', { email, password: STRONG_PASSWORD })).status).toBe(401);
    expect((await post('/api/v1/auth/signin', { email, password: 'a new strong passphrase' })).status).toBe(200);
  });

  it('runs REST requests as the signed-in user under RLS', async () => {
    const a = await signUp(app);
    const b = await signUp(app);
    const ins = await call(app, 'POST', '/rest/v1/notes', { body: 'mine' }, a.access_token, { Prefer: 'return=representation' });
    expect(ins.status).toBe(201);
    expect(((await call(app, 'GET', '/rest/v1/notes', undefined, a.access_token)).body as unknown as unknown[]).length).toBe(1);
    expect(((await call(app, 'GET', '/rest/v1/notes', undefined, b.access_token)).body as unknown as unknown[]).length).toBe(0);
  });
});

describe('tokens that must be refused', () => {
  it('refuses a token signed with another secret, alg none, and a forged role claim', async () => {
    const s = await signUp(app);
    const claims = jwtPayload(s.access_token);
    const other = signJwt({ ...claims, role: 'service_role' }, 'another-secret-another-secret-another-secret');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const none = `${header}.${Buffer.from(JSON.stringify({ ...claims, role: 'service_role' })).toString('base64url')}.`;
    const [h, , sig] = s.access_token.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, role: 'service_role' })).toString('base64url')}.${sig}`;
    for (const [token, reason] of [[other, 'bad_signature'], [none, 'unsupported_algorithm'], [tampered, 'bad_signature']] as const) {
      const r = await call(app, 'GET', '/api/v1/auth/user', undefined, token);
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ code: 'INVALID_TOKEN', details: { reason } });
    }
  });

  it('refuses an expired access token', async () => {
    const s = await signUp(app);
    const now = Math.floor(Date.now() / 1000);
    const expired = signJwt({ ...jwtPayload(s.access_token), iat: now - 4000, nbf: now - 4000, exp: now - 3000 }, TEST_JWT_SECRET);
    const r = await call(app, 'GET', '/api/v1/auth/user', undefined, expired);
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('EXPIRED_TOKEN');
  });
});

describe('config, anonymous sign-in and admin users', () => {
  it('GET /config reports the enforced values', async () => {
    const r = await call(app, 'GET', '/api/v1/auth/config');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      signup_enabled: true, require_email_verification: false, magic_link_enabled: true, password_login_enabled: true,
      anonymous_signin_enabled: false, phone_enabled: false, mfa_available: true, password_min_length: 8, password_max_length: 128,
      oauth_providers: [], captcha: { enabled: false },
    });
    expect((await call(app, 'GET', '/api/v1/auth/captcha/config')).body).toEqual({ enabled: false });
  });

  it('GET /config lists OAuth providers added through the admin API', async () => {
    const created = await call(app, 'POST', '/api/v1/admin/oauth/providers', { name: 'github', client_id: 'gh-client', client_secret: 's3cret' }, app.keys.service_role);
    expect(created.status).toBe(201);
    expect((await call(app, 'GET', '/api/v1/auth/config')).body.oauth_providers).toEqual(['github']);
    expect((await call(app, 'DELETE', '/api/v1/admin/oauth/providers/github', undefined, app.keys.service_role)).status).toBe(204);
    expect((await call(app, 'GET', '/api/v1/auth/config')).body.oauth_providers).toEqual([]);
  });

  it('anonymous sign-in is 404 FEATURE_DISABLED by default', async () => {
    const r = await post('/api/v1/auth/signin/anonymous', {});
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('FEATURE_DISABLED');
  });

  it('signs in anonymously when enabled; signup disabled and password login disabled are refused', async () => {
    const db2 = await createTestDatabase();
    const app2 = await startTestApp(db2.url, {
      overrides: { rate_limit: { enabled: false }, auth: { anonymous_signin_enabled: true, signup_enabled: false, password_login_enabled: false } },
    });
    try {
      const r = await call(app2, 'POST', '/api/v1/auth/signin/anonymous', { user_metadata: { guest: true } });
      expect(r.status).toBe(201);
      expect(r.body.user).toMatchObject({ is_anonymous: true, email: null, user_metadata: { guest: true } });
      expect(jwtPayload(r.body.access_token).is_anonymous).toBe(true);
      expect((await call(app2, 'POST', '/api/v1/auth/signup', { email: uniqueEmail(), password: STRONG_PASSWORD })).body.code).toBe('SIGNUP_DISABLED');
      expect((await call(app2, 'POST', '/api/v1/auth/signin', { email: uniqueEmail(), password: STRONG_PASSWORD })).body.code).toBe('PASSWORD_LOGIN_DISABLED');
    } finally {
      await app2.close();
      await db2.drop();
    }
  });

  it('treats a user whose role is admin as the admin principal, and a demotion at once', async () => {
    const s = await signUp(app);
    expect((await call(app, 'GET', '/api/v1/admin/schemas', undefined, s.access_token)).body.code).toBe('ADMIN_REQUIRED');
    await db.sql`update auth.users set role = 'admin' where id = ${s.user.id}`;
    expect((await call(app, 'GET', '/api/v1/admin/schemas', undefined, s.access_token)).status).toBe(200);
    await db.sql`update auth.users set role = 'authenticated' where id = ${s.user.id}`;
    expect((await call(app, 'GET', '/api/v1/admin/schemas', undefined, s.access_token)).status).toBe(403);
  });
});
