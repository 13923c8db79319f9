// TOTP two-factor authentication against a real server: setup → enable → sign-in answers
// requires_2fa → verify → aal2 Session; secrets encrypted at rest (seed 1.1); single-use
// codes; recovery codes; step-up; disable; re-encryption under a new encryption_key; and
// the bad-input answers of /2fa/verify. Codes are computed here with our own RFC 6238 code.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../src/auth/core/secret-box.ts';
import { base32Decode, rekeyTotpSecrets } from '../src/auth/totp/index.ts';
import { call, jwtPayload, signUp, STRONG_PASSWORD, uniqueEmail, type Json } from './harness/auth.ts';
import { createTestDatabase, startTestApp, TEST_ENCRYPTION_KEY, type TestApp, type TestDatabase } from './harness/index.ts';
import { codeAt, totpClock, wrongCode } from './harness/totp.ts';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp(db.url, { clock: totpClock, overrides: { rate_limit: { enabled: false } } });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const post = (path: string, body?: unknown, token?: string, a: TestApp = app) => call(a, 'POST', path, body, token);
const get = (path: string, token?: string) => call(app, 'GET', path, undefined, token);

interface TwoFactorUser {
  email: string;
  id: string;
  session: Json;
  secret: string;
  backupCodes: string[];
}

/** A user with TOTP enabled; the enabling code is the previous step's, so the current and next steps stay usable. */
async function enrolledUser(a: TestApp = app): Promise<TwoFactorUser> {
  const email = uniqueEmail('totp');
  const session = await signUp(a, email);
  const setup = await post('/api/v1/auth/2fa/setup', {}, session.access_token, a);
  expect(setup.status).toBe(200);
  const secret = setup.body.totp.secret as string;
  const enable = await post('/api/v1/auth/2fa/enable', { code: codeAt(secret, -1) }, session.access_token, a);
  expect(enable.status).toBe(200);
  return { email, id: session.user.id, session, secret, backupCodes: enable.body.backup_codes };
}

async function challengeFor(u: TwoFactorUser, a: TestApp = app): Promise<Json> {
  const r = await post('/api/v1/auth/signin', { email: u.email, password: STRONG_PASSWORD }, undefined, a);
  expect(r.status).toBe(200);
  expect(r.body.requires_2fa).toBe(true);
  return r.body;
}

describe('enrolment and sign-in', () => {
  it('sets up, enables, answers requires_2fa at sign-in and verifies to an aal2 session', async () => {
    const email = uniqueEmail('flow');
    const session = await signUp(app, email);
    const setup = await post('/api/v1/auth/2fa/setup', { issuer: 'Acme Notes' }, session.access_token);
    expect(setup.status).toBe(200);
    expect(setup.body).toMatchObject({ type: 'totp' });
    expect(setup.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const { secret, uri, qr_code } = setup.body.totp;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
    expect(uri).toBe(`otpauth://totp/Acme%20Notes:${encodeURIComponent(email)}?secret=${secret}&issuer=Acme%20Notes&algorithm=SHA1&digits=6&period=30`);
    expect(qr_code).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);

    const enable = await post('/api/v1/auth/2fa/enable', { code: codeAt(secret, -1) }, session.access_token);
    expect(enable.status).toBe(200);
    expect(enable.body.success).toBe(true);
    expect(enable.body.message).toEqual(expect.any(String));
    expect(enable.body.backup_codes).toHaveLength(10);
    for (const c of enable.body.backup_codes) expect(c).toMatch(/^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
    const [factor] = await db.sql`select f.id, u.totp_enabled from auth.totp_factors f join auth.users u on u.id = f.user_id where f.user_id = ${session.user.id}`;
    expect(factor).toEqual({ id: setup.body.id, totp_enabled: true });

    const signin = await post('/api/v1/auth/signin', { email, password: STRONG_PASSWORD });
    expect(signin.status).toBe(200);
    expect(signin.body).toMatchObject({ requires_2fa: true, user_id: session.user.id, expires_in: 300, message: '2FA verification required. Please provide your 2FA code.' });
    expect(signin.body.access_token).toBeUndefined();

    const verify = await post('/api/v1/auth/2fa/verify', { user_id: session.user.id, code: codeAt(secret), challenge_token: signin.body.challenge_token });
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ token_type: 'bearer', user: { id: session.user.id, totp_enabled: true } });
    const claims = jwtPayload(verify.body.access_token);
    expect(claims.aal).toBe('aal2');
    expect(claims.amr.map((e: Json) => e.method)).toEqual(['password', 'totp']);
    const status = await get('/api/v1/auth/2fa/status', verify.body.access_token);
    expect(status.body).toEqual({ totp_enabled: true, recovery_codes_remaining: 10 });
  });

  it('keeps the secret out of the database in clear: only AES-GCM under encryption_key (seed 1.1)', async () => {
    const session = await signUp(app);
    const setup = await post('/api/v1/auth/2fa/setup', {}, session.access_token);
    const secret = setup.body.totp.secret as string;
    const raw = base32Decode(secret);
    const forms = [secret, secret.toLowerCase(), raw.toString('hex'), raw.toString('base64'), raw.toString('base64url')];
    const box = createSecretBox(Buffer.from(TEST_ENCRYPTION_KEY, 'hex'));

    const scan = async () => {
      const rows = await db.sql`
        select to_jsonb(t)::text as row from auth.totp_setups t where user_id = ${session.user.id}
        union all select to_jsonb(t)::text from auth.totp_factors t where user_id = ${session.user.id}
        union all select to_jsonb(t)::text from auth.users t where id = ${session.user.id}`;
      for (const { row } of rows) for (const form of forms) expect(row).not.toContain(form);
    };
    const [pending] = await db.sql`select secret_enc from auth.totp_setups where user_id = ${session.user.id}`;
    expect(box.decrypt(pending!.secret_enc)).toBe(secret);
    await scan();

    expect((await post('/api/v1/auth/2fa/enable', { code: codeAt(secret, -1) }, session.access_token)).status).toBe(200);
    const [enabled] = await db.sql`select secret_enc from auth.totp_factors where user_id = ${session.user.id}`;
    const sealed = Buffer.from(enabled!.secret_enc, 'base64');
    expect(sealed.length).toBe(12 + secret.length + 16); // nonce ‖ ciphertext ‖ tag
    expect(box.decrypt(enabled!.secret_enc)).toBe(secret);
    await scan();
    const codes = await db.sql`select code_hash from auth.totp_recovery_codes where user_id = ${session.user.id}`;
    expect(codes).toHaveLength(10);
    for (const { code_hash } of codes) expect(code_hash).toMatch(/^scrypt\$/);
  });

  it('accepts a code once: the same code again (same window) is refused', async () => {
    const u = await enrolledUser();
    const code = codeAt(u.secret);
    const first = await challengeFor(u);
    expect((await post('/api/v1/auth/2fa/verify', { user_id: u.id, code, challenge_token: first.challenge_token })).status).toBe(200);
    const second = await challengeFor(u);
    const replay = await post('/api/v1/auth/2fa/verify', { user_id: u.id, code, challenge_token: second.challenge_token });
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ code: 'INVALID_2FA_CODE', details: { reason: 'code_already_used' } });
    // An earlier step is refused too once a later one was used.
    const older = await post('/api/v1/auth/2fa/verify', { user_id: u.id, code: codeAt(u.secret, -1), challenge_token: second.challenge_token });
    expect(older.status).toBe(400);
    // The challenge survived the refusals: the next step's code still signs in.
    const next = await post('/api/v1/auth/2fa/verify', { user_id: u.id, code: codeAt(u.secret, 1), challenge_token: second.challenge_token });
    expect(next.status).toBe(200);
  });

  it('refuses the code used to enable 2FA at sign-in', async () => {
    const session = await signUp(app);
    const email = session.user.email as string;
    const setup = await post('/api/v1/auth/2fa/setup', {}, session.access_token);
    const code = codeAt(setup.body.totp.secret);
    expect((await post('/api/v1/auth/2fa/enable', { code }, session.access_token)).status).toBe(200);
    const challenge = await post('/api/v1/auth/signin', { email, password: STRONG_PASSWORD });
    const r = await post('/api/v1/auth/2fa/verify', { user_id: session.user.id, code, challenge_token: challenge.body.challenge_token });
    expect(r.status).toBe(400);
    expect(r.body.details.reason).toBe('code_already_used');
  });

  it('raises the current session to aal2 with a step-up challenge', async () => {
    const u = await enrolledUser();
    const sessionId = jwtPayload(u.session.access_token).session_id;
    const ch = await post('/api/v1/auth/2fa/challenge', undefined, u.session.access_token);
    expect(ch.status).toBe(200);
    expect(ch.body).toEqual({ challenge_token: expect.any(String), expires_in: 300 });
    const r = await post('/api/v1/auth/2fa/verify', { user_id: u.id, code: codeAt(u.secret), challenge_token: ch.body.challenge_token });
    expect(r.status).toBe(200);
    const claims = jwtPayload(r.body.access_token);
    expect(claims).toMatchObject({ aal: 'aal2', session_id: sessionId });
    const [row] = await db.sql`select aal from auth.sessions where id = ${sessionId}`;
    expect(row!.aal).toBe('aal2');
  });

  it('refuses setup and enable in the wrong state, and protected routes without a session', async () => {
    const u = await enrolledUser();
    expect((await post('/api/v1/auth/2fa/setup', {}, u.session.access_token)).body.code).toBe('CONFLICT');
    const fresh = await signUp(app);
    const noSetup = await post('/api/v1/auth/2fa/enable', { code: '123456' }, fresh.access_token);
    expect(noSetup.status).toBe(409);
    expect(noSetup.body.details.reason).toBe('no_pending_setup');
    const setup = await post('/api/v1/auth/2fa/setup', {}, fresh.access_token);
    const wrong = await post('/api/v1/auth/2fa/enable', { code: wrongCode(setup.body.totp.secret) }, fresh.access_token);
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('INVALID_2FA_CODE');
    expect((await get('/api/v1/auth/2fa/status', fresh.access_token)).body).toEqual({ totp_enabled: false, recovery_codes_remaining: 0 });
    expect((await post('/api/v1/auth/2fa/challenge', undefined, fresh.access_token)).status).toBe(409);
    expect((await post('/api/v1/auth/2fa/setup', { issuer: 'a:b' }, fresh.access_token)).body.code).toBe('VALIDATION_FAILED');
    for (const [method, path] of [['POST', '/2fa/setup'], ['POST', '/2fa/enable'], ['POST', '/2fa/challenge'], ['POST', '/2fa/disable'], ['GET', '/2fa/status'], ['POST', '/2fa/recovery-codes']]) {
      for (const token of [undefined, app.keys.anon, app.keys.service_role]) {
        const r = await call(app, method!, `/api/v1/auth${path}`, method === 'POST' ? {} : undefined, token);
        expect([r.status, r.body.code]).toEqual([401, 'AUTHENTICATION_REQUIRED']);
      }
    }
  });
});

describe('recovery codes', () => {
  it('signs in with a recovery code once, recorded as recovery_code', async () => {
    const u = await enrolledUser();
    const code = u.backupCodes[3]!;
    const first = await challengeFor(u);
    const ok = await post('/api/v1/auth/2fa/verify', { user_id: u.id, code: code.toLowerCase(), challenge_token: first.challenge_token });
    expect(ok.status).toBe(200);
    expect(jwtPayload(ok.body.access_token).aal).toBe('aal2');
    const second = await challengeFor(u);
    const again = await post('/api/v1/auth/2fa/verify', { user_id: u.id, code, challenge_token: second.challenge_token });
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('INVALID_2FA_CODE');
    expect((await get('/api/v1/auth/2fa/status', ok.body.access_token)).body.recovery_codes_remaining).toBe(9);
    const audit = await db.sql`select code_used, success from auth.two_factor_recovery_attempts where user_id = ${u.id} order by id`;
    expect(audit).toEqual([{ code_used: 'recovery_code', success: true }, { code_used: 'recovery_code', success: false }]);
  });

  it('regenerates codes with the current TOTP code; the old ones stop working', async () => {
    const u = await enrolledUser();
    const regen = await post('/api/v1/auth/2fa/recovery-codes', { code: codeAt(u.secret) }, u.session.access_token);
    expect(regen.status).toBe(200);
    expect(regen.body.backup_codes).toHaveLength(10);
    expect(regen.body.backup_codes).not.toContain(u.backupCodes[0]);
    const ch = await challengeFor(u);
    const old = await post('/api/v1/auth/2fa/verify', { user_id: u.id, code: u.backupCodes[0], challenge_token: ch.challenge_token });
    expect(old.status).toBe(400);
    const fresh = await post('/api/v1/auth/2fa/verify', { user_id: u.id, code: regen.body.backup_codes[0], challenge_token: ch.challenge_token });
    expect(fresh.status).toBe(200);
    // A recovery code cannot stand in for the TOTP code here.
    const withRecovery = await post('/api/v1/auth/2fa/recovery-codes', { code: regen.body.backup_codes[1] }, u.session.access_token);
    expect(withRecovery.body.code).toBe('VALIDATION_FAILED');
  });
});

describe('disable', () => {
  it('disables with the password: sign-in then answers a Session directly', async () => {
    const u = await enrolledUser();
    const wrong = await post('/api/v1/auth/2fa/disable', { password: 'not the password at all' }, u.session.access_token);
    expect([wrong.status, wrong.body.code]).toEqual([401, 'INVALID_CREDENTIALS']);
    expect((await get('/api/v1/auth/2fa/status', u.session.access_token)).body.totp_enabled).toBe(true);

    const r = await post('/api/v1/auth/2fa/disable', { password: STRONG_PASSWORD }, u.session.access_token);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ success: true, message: expect.any(String) });
    expect((await get('/api/v1/auth/2fa/status', u.session.access_token)).body).toEqual({ totp_enabled: false, recovery_codes_remaining: 0 });
    expect((await get('/api/v1/auth/user', u.session.access_token)).body.totp_enabled).toBe(false);
    expect(await db.sql`select 1 from auth.totp_factors where user_id = ${u.id} union all select 1 from auth.totp_recovery_codes where user_id = ${u.id}`).toHaveLength(0);
    const signin = await post('/api/v1/auth/signin', { email: u.email, password: STRONG_PASSWORD });
    expect(signin.body.access_token).toEqual(expect.any(String));
    expect(signin.body.requires_2fa).toBeUndefined();
  });

  it('disables with a current code, and refuses an empty body', async () => {
    const u = await enrolledUser();
    expect((await post('/api/v1/auth/2fa/disable', {}, u.session.access_token)).body.code).toBe('MISSING_REQUIRED_FIELD');
    const r = await post('/api/v1/auth/2fa/disable', { code: codeAt(u.secret) }, u.session.access_token);
    expect(r.status).toBe(200);
    expect((await post('/api/v1/auth/2fa/disable', { password: STRONG_PASSWORD }, u.session.access_token)).status).toBe(409);
  });
});

describe('/2fa/verify bad input', () => {
  let u: TwoFactorUser;
  beforeAll(async () => {
    u = await enrolledUser();
  });

  it('refuses a wrong code without consuming the challenge', async () => {
    const ch = await challengeFor(u);
    const r = await post('/api/v1/auth/2fa/verify', { user_id: u.id, code: wrongCode(u.secret), challenge_token: ch.challenge_token });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'INVALID_2FA_CODE', details: { reason: 'invalid_code' } });
    const [row] = await db.sql`select consumed_at from auth.mfa_challenges where user_id = ${u.id} order by created_at desc limit 1`;
    expect(row!.consumed_at).toBeNull();
  });

  it.each([
    ['non-numeric code', () => ({ user_id: u.id, code: 'abcdef' }), 'VALIDATION_FAILED'],
    ['numeric code as a number', () => ({ user_id: u.id, code: 123456 }), 'VALIDATION_FAILED'],
    ['missing code', () => ({ user_id: u.id }), 'MISSING_REQUIRED_FIELD'],
    ['missing user_id', () => ({ code: '123456' }), 'MISSING_REQUIRED_FIELD'],
    ['user_id not a uuid', () => ({ user_id: "1' or '1'='1", code: '123456' }), 'VALIDATION_FAILED'],
    ['challenge_token not a string', () => ({ user_id: u.id, code: '123456', challenge_token: 42 }), 'VALIDATION_FAILED'],
    ['body an array', () => [u.id], 'INVALID_REQUEST_BODY'],
  ])('answers 400 for %s', async (_name, body, code) => {
    const r = await post('/api/v1/auth/2fa/verify', body());
    expect(r.status).toBe(400);
    expect(r.body.code).toBe(code);
    expect(JSON.stringify(r.body)).not.toMatch(/select|uuid_in|syntax/i);
  });

  it('refuses verification without a pending challenge, and does not use up the code', async () => {
    const v = await enrolledUser();
    const code = codeAt(v.secret);
    const r = await post('/api/v1/auth/2fa/verify', { user_id: v.id, code });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'INVALID_2FA_CODE', details: { reason: 'no_pending_challenge' } });
    const unknown = await post('/api/v1/auth/2fa/verify', { user_id: '00000000-0000-4000-8000-000000000000', code });
    expect(unknown.body.details.reason).toBe('no_pending_challenge');
    const ch = await challengeFor(v);
    expect((await post('/api/v1/auth/2fa/verify', { user_id: v.id, code, challenge_token: ch.challenge_token })).status).toBe(200);
  });

  it('refuses a challenge_token that does not match, leaving the real challenge usable', async () => {
    const v = await enrolledUser();
    const ch = await challengeFor(v);
    const other = await challengeFor(u); // a real token, but another user's
    for (const token of ['not-the-token', other.challenge_token]) {
      const r = await post('/api/v1/auth/2fa/verify', { user_id: v.id, code: codeAt(v.secret), challenge_token: token });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 'INVALID_2FA_CODE', details: { reason: 'invalid_challenge' } });
    }
    const ok = await post('/api/v1/auth/2fa/verify', { user_id: v.id, code: codeAt(v.secret), challenge_token: ch.challenge_token });
    expect(ok.status).toBe(200);
  });
});

describe('encryption_key rotation', () => {
  it('re-seals secrets under a new key; a server with the new key verifies, and a re-run changes nothing', async () => {
    const rotDb = await createTestDatabase();
    const oldApp = await startTestApp(rotDb.url, { clock: totpClock, overrides: { rate_limit: { enabled: false } } });
    const u = await enrolledUser(oldApp);
    const pending = await signUp(oldApp);
    await post('/api/v1/auth/2fa/setup', {}, pending.access_token, oldApp);
    await oldApp.close();

    const newKey = randomBytes(32);
    const from = createSecretBox(Buffer.from(TEST_ENCRYPTION_KEY, 'hex'));
    const to = createSecretBox(newKey);
    expect(await rekeyTotpSecrets(rotDb.sql, from, to)).toEqual({ resealed: 2, unchanged: 0 });
    expect(await rekeyTotpSecrets(rotDb.sql, from, to)).toEqual({ resealed: 0, unchanged: 2 });
    await expect(rekeyTotpSecrets(rotDb.sql, createSecretBox(randomBytes(32)), createSecretBox(randomBytes(32)))).rejects.toThrow(/neither key/);

    const newApp = await startTestApp(rotDb.url, { clock: totpClock, overrides: { rate_limit: { enabled: false }, encryption_key: newKey.toString('hex') } });
    try {
      const ch = await challengeFor(u, newApp);
      const r = await post('/api/v1/auth/2fa/verify', { user_id: u.id, code: codeAt(u.secret), challenge_token: ch.challenge_token }, undefined, newApp);
      expect(r.status).toBe(200);
    } finally {
      await newApp.close();
      await rotDb.drop();
    }
  });
});
