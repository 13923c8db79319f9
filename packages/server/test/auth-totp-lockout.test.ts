// The per-user TOTP attempt limit (hardening 1.2, docs/auth.md "Attempt limit and
// lockout"): 5 failures within 5 minutes lock /2fa/verify for that user for 15 minutes (429
// TOTP_ATTEMPTS_EXCEEDED + Retry-After), on every instance (the lock is computed from the
// attempts table); other users are unaffected; every attempt is recorded with IP and user
// agent; an admin can unlock or remove the factor. Disable and recovery-code regeneration
// count toward the same lock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteExpiredTotpRows } from '../src/auth/totp/index.ts';
import { call, jwtPayload, signUp, STRONG_PASSWORD, uniqueEmail, type Json } from './harness/auth.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';
import { codeAt, totpClock, wrongCode } from './harness/totp.ts';

let db: TestDatabase;
let app: TestApp;
let second: TestApp;
const AGENT = 'totp-lockout-test/1.0';

beforeAll(async () => {
  db = await createTestDatabase();
  const overrides = { rate_limit: { enabled: false } };
  [app, second] = await Promise.all([startTestApp(db.url, { overrides, clock: totpClock }), startTestApp(db.url, { overrides, clock: totpClock })]);
});
afterAll(async () => {
  await Promise.all([app?.close(), second?.close()]);
  await db?.drop();
});

const post = (path: string, body?: unknown, token?: string, a: TestApp = app) => call(a, 'POST', path, body, token, { 'User-Agent': AGENT });
interface TwoFactorUser {
  email: string;
  id: string;
  session: Json;
  secret: string;
  backupCodes: string[];
}

async function enrolledUser(): Promise<TwoFactorUser> {
  const email = uniqueEmail('lock');
  const session = await signUp(app, email);
  const setup = await post('/api/v1/auth/2fa/setup', {}, session.access_token);
  const secret = setup.body.totp.secret as string;
  const enable = await post('/api/v1/auth/2fa/enable', { code: codeAt(secret, -1) }, session.access_token);
  expect(enable.status).toBe(200);
  return { email, id: session.user.id, session, secret, backupCodes: enable.body.backup_codes };
}

async function challengeFor(u: TwoFactorUser): Promise<string> {
  const r = await post('/api/v1/auth/signin', { email: u.email, password: STRONG_PASSWORD });
  expect(r.body.requires_2fa).toBe(true);
  return r.body.challenge_token as string;
}

async function fail(u: TwoFactorUser, times: number, a: TestApp = app): Promise<void> {
  for (let i = 0; i < times; i++) {
    const r = await post('/api/v1/auth/2fa/verify', { user_id: u.id, code: wrongCode(u.secret) }, undefined, a);
    expect(r.body.details?.reason).toBe('invalid_code');
  }
}

function expectLocked(r: { status: number; body: Json; headers: Headers }): void {
  expect(r.status).toBe(429);
  expect(r.body.code).toBe('TOTP_ATTEMPTS_EXCEEDED');
  const retry = Number(r.headers.get('retry-after'));
  expect(retry).toBeGreaterThan(10 * 60);
  expect(retry).toBeLessThanOrEqual(15 * 60);
  expect(r.body.retry_after).toBe(retry);
  expect(r.body.details).toMatchObject({ max_attempts: 5, window_seconds: 300, lockout_seconds: 900 });
}

describe('per-user attempt limit', () => {
  it('locks a user after 5 failures, on every instance, even for the right code; another user is unaffected', async () => {
    const [a, b] = [await enrolledUser(), await enrolledUser()];
    await challengeFor(a);
    const bChallenge = await challengeFor(b);
    await fail(a, 4);
    await fail(a, 1, second); // the fifth failure lands on the other instance
    for (const instance of [app, second]) {
      const locked = await post('/api/v1/auth/2fa/verify', { user_id: a.id, code: codeAt(a.secret) }, undefined, instance);
      expectLocked(locked);
    }
    // A recovery code is refused as well while locked.
    expectLocked(await post('/api/v1/auth/2fa/verify', { user_id: a.id, code: a.backupCodes[0] }));
    // The challenge was not consumed by the refusals.
    expect(await db.sql`select 1 from auth.mfa_challenges where user_id = ${a.id} and consumed_at is null`).toHaveLength(1);

    const other = await post('/api/v1/auth/2fa/verify', { user_id: b.id, code: codeAt(b.secret), challenge_token: bChallenge });
    expect(other.status).toBe(200);
    expect(jwtPayload(other.body.access_token).aal).toBe('aal2');
  });

  it('records every attempt with IP and user agent, refused ones marked as not counted', async () => {
    const u = await enrolledUser();
    await challengeFor(u);
    await fail(u, 5);
    expectLocked(await post('/api/v1/auth/2fa/verify', { user_id: u.id, code: codeAt(u.secret) }));
    const rows = await db.sql`
      select code_used, action, success, failure_reason, counted, host(ip_address) as ip, user_agent, attempted_at
      from auth.two_factor_recovery_attempts where user_id = ${u.id} order by id`;
    expect(rows).toHaveLength(6);
    for (const row of rows) {
      expect(row.ip).toBe('127.0.0.1');
      expect(row.user_agent).toBe(AGENT);
      expect(row.attempted_at).toBeInstanceOf(Date);
    }
    expect(rows.slice(0, 5).map((r) => [r.code_used, r.success, r.failure_reason, r.counted])).toEqual(Array(5).fill(['totp', false, 'invalid_code', true]));
    expect(rows[5]).toMatchObject({ success: false, failure_reason: 'locked', counted: false });
  });

  it('does not count requests without a pending challenge (no code was tested)', async () => {
    const u = await enrolledUser();
    for (let i = 0; i < 6; i++) {
      const r = await post('/api/v1/auth/2fa/verify', { user_id: u.id, code: wrongCode(u.secret) });
      expect(r.body.details.reason).toBe('no_pending_challenge');
    }
    const token = await challengeFor(u);
    expect((await post('/api/v1/auth/2fa/verify', { user_id: u.id, code: codeAt(u.secret), challenge_token: token })).status).toBe(200);
  });

  it('counts wrong codes given to disable and to recovery-code regeneration', async () => {
    const u = await enrolledUser();
    for (let i = 0; i < 2; i++) {
      const r = await post('/api/v1/auth/2fa/disable', { password: 'wrong password, surely' }, u.session.access_token);
      expect(r.body.code).toBe('INVALID_CREDENTIALS');
    }
    for (let i = 0; i < 2; i++) expect((await post('/api/v1/auth/2fa/disable', { code: wrongCode(u.secret) }, u.session.access_token)).status).toBe(400);
    expect((await post('/api/v1/auth/2fa/recovery-codes', { code: wrongCode(u.secret) }, u.session.access_token)).status).toBe(400);
    expectLocked(await post('/api/v1/auth/2fa/disable', { password: STRONG_PASSWORD }, u.session.access_token));
    expectLocked(await post('/api/v1/auth/2fa/recovery-codes', { code: codeAt(u.secret) }, u.session.access_token));
    expect((await call(app, 'GET', '/api/v1/auth/2fa/status', undefined, u.session.access_token)).body.totp_enabled).toBe(true);
  });

  it('serialises parallel guesses: no more than 5 are tested before the lock', async () => {
    const u = await enrolledUser();
    await challengeFor(u);
    const answers = await Promise.all(Array.from({ length: 12 }, () =>
      post('/api/v1/auth/2fa/verify', { user_id: u.id, code: wrongCode(u.secret) })));
    expect(answers.filter((r) => r.status === 400)).toHaveLength(5);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(7);
  });
});

describe('admin', () => {
  it('unlocks a locked user (admin only); the right code then signs in', async () => {
    const u = await enrolledUser();
    const token = await challengeFor(u);
    await fail(u, 5);
    expectLocked(await post('/api/v1/auth/2fa/verify', { user_id: u.id, code: codeAt(u.secret), challenge_token: token }));

    const path = `/api/v1/admin/users/${u.id}/2fa/unlock`;
    expect((await post(path)).status).toBe(401);
    const byUser = await post(path, undefined, u.session.access_token);
    expect([byUser.status, byUser.body.code]).toEqual([403, 'ADMIN_REQUIRED']);
    const unlock = await post(path, undefined, app.keys.service_role);
    expect(unlock.status).toBe(200);
    expect(unlock.body).toEqual({ success: true });

    const ok = await post('/api/v1/auth/2fa/verify', { user_id: u.id, code: codeAt(u.secret), challenge_token: token }, undefined, second);
    expect(ok.status).toBe(200);
    // The audit trail stays: the failures are kept, marked cleared.
    const [counts] = await db.sql`select count(*)::int as failures, count(cleared_at)::int as cleared from auth.two_factor_recovery_attempts where user_id = ${u.id} and counted`;
    expect(counts).toEqual({ failures: 5, cleared: 5 });
  });

  it('removes a user\'s TOTP: sign-in then answers a Session', async () => {
    const u = await enrolledUser();
    const r = await call(app, 'DELETE', `/api/v1/admin/users/${u.id}/2fa`, undefined, app.keys.service_role);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ success: true });
    const [row] = await db.sql`select totp_enabled from auth.users where id = ${u.id}`;
    expect(row!.totp_enabled).toBe(false);
    expect(await db.sql`select 1 from auth.totp_factors where user_id = ${u.id} union all select 1 from auth.totp_recovery_codes where user_id = ${u.id}`).toHaveLength(0);
    const signin = await post('/api/v1/auth/signin', { email: u.email, password: STRONG_PASSWORD });
    expect(signin.body.access_token).toEqual(expect.any(String));
  });

  it('answers 400 for a malformed id and 404 for an unknown user', async () => {
    const bad = await post('/api/v1/admin/users/not-a-uuid/2fa/unlock', undefined, app.keys.service_role);
    expect([bad.status, bad.body.code]).toEqual([400, 'INVALID_ID']);
    const missing = await call(app, 'DELETE', '/api/v1/admin/users/00000000-0000-4000-8000-000000000000/2fa', undefined, app.keys.service_role);
    expect([missing.status, missing.body.code]).toEqual([404, 'NOT_FOUND']);
  });
});

describe('cleanup', () => {
  it('prunes expired setups and attempts past the retention, keeping what the lock needs', async () => {
    const u = await enrolledUser();
    const pending = await signUp(app);
    await post('/api/v1/auth/2fa/setup', {}, pending.access_token);
    await db.sql`update auth.totp_setups set expires_at = now() - interval '2 hours' where user_id = ${pending.user.id}`;
    await db.sql`
      insert into auth.two_factor_recovery_attempts (user_id, code_used, success, failure_reason, counted, attempted_at)
      values (${u.id}, 'totp', false, 'invalid_code', true, now() - interval '91 days'),
             (${u.id}, 'totp', false, 'invalid_code', true, now() - interval '1 minute')`;
    await deleteExpiredTotpRows(app.server.db.pool);
    expect(await db.sql`select 1 from auth.totp_setups where user_id = ${pending.user.id}`).toHaveLength(0);
    const left = await db.sql`select attempted_at from auth.two_factor_recovery_attempts where user_id = ${u.id}`;
    expect(left).toHaveLength(1);
    expect(await db.sql`select 1 from auth.totp_factors where user_id = ${u.id}`).toHaveLength(1);
  });
});
