// Rate limits end to end (docs/auth.md "Rate limits", hardening 1.3): two app instances on one
// database sharing one real Redis enforce ONE limit (the first test fails with per-instance
// counters), the global limit is keyed after principal resolution, each auth limiter is
// keyed as the table says, and when Redis dies general limits fall back to per-instance
// counters while the auth limiters answer 503 instead of becoming unlimited.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, eventually, STRONG_PASSWORD, uniqueEmail, type AuthResponse, type Json } from './harness/auth.ts';
import { parseMetrics } from './harness/child-server.ts';
import { createTestDatabase, startTestApp, type Overrides, type TestApp, type TestDatabase } from './harness/index.ts';
import { redisMissing, startRedis, type TestRedis } from './harness/redis.ts';
import { testRoutes } from './harness/test-routes.ts';

let db: TestDatabase;
let redis: TestRedis;
let a: TestApp;
let b: TestApp;
const extraApps: TestApp[] = [];

// Every request names its client IP (trusted proxy), so tests never share an IP budget.
// Auth routes also pass the global limit (4/1m per anonymous IP): each auth test stays within it.
const LIMITS = {
  global: '4/1m', login: '3/1m', login_per_email: '5/1h', signup: '3/1h', refresh: '2/1m', refresh_per_ip: '3/1m',
  email_send: '3/1h', totp_verify: '2/1m',
};
const overrides = (extra: Overrides = {}): Overrides => ({
  server: { trusted_proxies: ['127.0.0.1'] },
  auth: { lockout_max_attempts: 1000 },
  ...extra,
});
// Random per run, so a long-lived FLUXBASE_TEST_REDIS_URL never carries budgets over between runs.
const ipPrefix = `fd00:${randomBytes(6).toString('hex').match(/.{4}/g)!.join(':')}`;
let ipCounter = 0;
const freshIp = () => `${ipPrefix}::${(++ipCounter).toString(16)}`;
const from = (ip: string, headers: Record<string, string> = {}) => ({ 'X-Forwarded-For': ip, ...headers });

const whoami = (app: TestApp, headers: Record<string, string>) => app.fetch('/api/v1/__test/whoami', { headers });
const signin = (app: TestApp, ip: string, email = uniqueEmail('nobody'), password = 'wrong password 123') =>
  call(app, 'POST', '/api/v1/auth/signin', { email, password }, undefined, from(ip));
const refresh = (app: TestApp, ip: string, token: string) =>
  call(app, 'POST', '/api/v1/auth/refresh', { refresh_token: token }, undefined, from(ip));
const signUpFrom = async (app: TestApp, ip: string): Promise<Json> => {
  const r = await call(app, 'POST', '/api/v1/auth/signup', { email: uniqueEmail('rl'), password: STRONG_PASSWORD }, undefined, from(ip));
  expect(r.status).toBe(201);
  return r.body;
};
const limiterOf = (r: AuthResponse) => r.body.details as Json | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  if (redisMissing) return;
  redis = await startRedis();
  const shared = overrides({ redis: { url: redis.url }, rate_limit: LIMITS });
  [a, b] = await Promise.all([
    startTestApp(db.url, { overrides: shared, plugins: [testRoutes()] }),
    startTestApp(db.url, { overrides: shared, plugins: [testRoutes()] }),
  ]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close(), ...extraApps.map((x) => x.close())]);
  await redis?.close();
  await db?.drop();
});

describe.skipIf(redisMissing !== undefined)(`global limit shared through Redis (seed 1.3)${redisMissing ? ` (${redisMissing})` : ''}`, () => {
  it('enforces one limit across two instances: 2 + 2 allowed, the 5th refused on either', async () => {
    const h = { Authorization: `Bearer ${a.userToken(randomUUID())}` };
    const seen: [number, string | null][] = [];
    for (const app of [a, a, b, b]) {
      const res = await whoami(app, h);
      seen.push([res.status, res.headers.get('x-ratelimit-remaining')]);
    }
    // One counter: remaining goes 3, 2, 1, 0 whichever instance answers.
    expect(seen).toEqual([[200, '3'], [200, '2'], [200, '1'], [200, '0']]);
    expect((await whoami(a, h)).status).toBe(429);
    expect((await whoami(b, h)).status).toBe(429);
  });

  it('answers the documented 429 exactly: body, Retry-After and X-RateLimit-*', async () => {
    const h = { Authorization: `Bearer ${a.userToken(randomUUID())}` };
    for (let i = 0; i < 4; i++) expect((await whoami(i % 2 ? a : b, h)).status).toBe(200);
    const res = await whoami(a, { ...h, 'X-Request-ID': 'rl-body-check' });
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const retry = Number(res.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(await res.json()).toEqual({
      error: 'Rate limit exceeded', code: 'RATE_LIMITED', message: `Too many requests; retry in ${retry} ${retry === 1 ? 'second' : 'seconds'}`,
      details: { limiter: 'global', limit: 4, window_seconds: 60 }, retry_after: retry, request_id: 'rl-body-check',
    });
    expect(res.headers.get('x-ratelimit-limit')).toBe('4');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(res.headers.get('x-ratelimit-reset')).toBe(String(retry));
  });

  it('keys the global limit after principal resolution: per user, per IP for anonymous callers', async () => {
    const ip = freshIp();
    for (let i = 0; i < 4; i++) expect((await whoami(i % 2 ? a : b, from(ip))).status).toBe(200);
    expect((await whoami(a, from(ip))).status).toBe(429);
    // Same IP, but a user: the user's own budget. Another anonymous IP: its own budget.
    expect((await whoami(b, from(ip, { Authorization: `Bearer ${a.userToken(randomUUID())}` }))).status).toBe(200);
    expect((await whoami(b, from(freshIp()))).status).toBe(200);
    // The service role is exempt.
    for (let i = 0; i < 6; i++) expect((await whoami(a, from(ip, { Authorization: `Bearer ${a.keys.service_role}` }))).status).toBe(200);
  });
});

describe('without Redis', () => {
  it('counts per instance (what the multi-instance warning is about)', async () => {
    const [c, d] = await Promise.all([0, 1].map(() => startTestApp(db.url, { overrides: overrides({ rate_limit: { global: '2/1m' } }), plugins: [testRoutes()] })));
    extraApps.push(c!, d!);
    const h = { Authorization: `Bearer ${c!.userToken(randomUUID())}` };
    const codes = [];
    for (const app of [c!, c!, c!, d!, d!, d!]) codes.push((await whoami(app, h)).status);
    expect(codes).toEqual([200, 200, 429, 200, 200, 429]);
  });
});

describe.skipIf(redisMissing !== undefined)(`auth limiters (shared through Redis)${redisMissing ? ` (${redisMissing})` : ''}`, () => {
  it('login: per IP, across instances, with X-RateLimit-* on every answer', async () => {
    const ip = freshIp();
    const answers = [await signin(a, ip), await signin(b, ip), await signin(a, ip)];
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401]);
    expect(answers.map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0']);
    const refused = await signin(b, ip);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', details: { limiter: 'login', limit: 3, window_seconds: 60 } });
    expect(refused.body.message).toMatch(/^Too many sign-in attempts; retry in \d+ seconds?$/);
    expect(refused.headers.get('retry-after')).toBe(String(refused.body.retry_after));
    expect((await signin(a, freshIp())).status).toBe(401); // another IP is not affected
  });

  it('login: per email, whatever the IP', async () => {
    const email = uniqueEmail('victim');
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await signin(i % 2 ? a : b, freshIp(), email)).status);
    expect(codes).toEqual([401, 401, 401, 401, 401]);
    const refused = await signin(a, freshIp(), email);
    expect(refused.status).toBe(429);
    expect(limiterOf(refused)).toEqual({ limiter: 'login', limit: 5, window_seconds: 3600 });
    // The right password is refused too while the address is over its limit.
    expect((await signin(b, freshIp(), email, STRONG_PASSWORD)).status).toBe(429);
  });

  it('signup: per IP', async () => {
    const ip = freshIp();
    for (let i = 0; i < 3; i++) await signUpFrom(i % 2 ? a : b, ip);
    const refused = await call(b, 'POST', '/api/v1/auth/signup', { email: uniqueEmail('rl'), password: STRONG_PASSWORD }, undefined, from(ip));
    expect(refused.status).toBe(429);
    expect(limiterOf(refused)).toEqual({ limiter: 'signup', limit: 3, window_seconds: 3600 });
    await signUpFrom(a, freshIp());
  });

  it('refresh: per session family (not one global bucket), across rotations and instances', async () => {
    let token = (await signUpFrom(a, freshIp())).refresh_token as string;
    for (let i = 0; i < 2; i++) {
      const r = await refresh(i % 2 ? a : b, freshIp(), token);
      expect(r.status).toBe(200);
      token = r.body.refresh_token as string;
    }
    const refused = await refresh(a, freshIp(), token);
    expect(refused.status).toBe(429);
    expect(limiterOf(refused)).toEqual({ limiter: 'refresh', limit: 2, window_seconds: 60 });
    // Another session's family has its own budget.
    const other = (await signUpFrom(b, freshIp())).refresh_token as string;
    expect((await refresh(b, freshIp(), other)).status).toBe(200);
  });

  it('refresh: per IP, across families', async () => {
    const ip = freshIp();
    const tokens: string[] = [];
    for (let i = 0; i < 4; i++) tokens.push((await signUpFrom(a, freshIp())).refresh_token as string);
    const codes = [];
    for (const [i, t] of tokens.slice(0, 3).entries()) codes.push((await refresh(i % 2 ? a : b, ip, t)).status);
    expect(codes).toEqual([200, 200, 200]);
    const refused = await refresh(a, ip, tokens[3]!);
    expect(refused.status).toBe(429);
    expect(limiterOf(refused)).toEqual({ limiter: 'refresh', limit: 3, window_seconds: 60 });
  });
});

describe.skipIf(redisMissing !== undefined)(`auth limiters: email_send and totp_verify${redisMissing ? ` (${redisMissing})` : ''}`, () => {
  const magicLink = (app: TestApp, ip: string, email: string) => call(app, 'POST', '/api/v1/auth/magiclink', { email }, undefined, from(ip));

  it('email_send: one email per address per 60 s, whatever the IP or instance', async () => {
    const email = uniqueEmail('ml');
    expect((await magicLink(a, freshIp(), email)).status).toBe(200);
    const again = await magicLink(b, freshIp(), email);
    expect(again.status).toBe(429);
    expect(limiterOf(again)).toEqual({ limiter: 'email_send', limit: 1, window_seconds: 60 });
    expect(again.body.message).toMatch(/^Too many emails requested; retry in \d+ seconds?$/);
  });

  it('email_send: per IP, across addresses', async () => {
    const ip = freshIp();
    for (let i = 0; i < 3; i++) expect((await magicLink(i % 2 ? a : b, ip, uniqueEmail('ml'))).status).toBe(200);
    const refused = await magicLink(a, ip, uniqueEmail('ml'));
    expect(refused.status).toBe(429);
    expect(limiterOf(refused)).toEqual({ limiter: 'email_send', limit: 3, window_seconds: 3600 });
  });

  it('totp_verify: per IP', async () => {
    const ip = freshIp();
    const verify = (app: TestApp) => call(app, 'POST', '/api/v1/auth/2fa/verify', { user_id: randomUUID(), code: '123456' }, undefined, from(ip));
    const first = [await verify(a), await verify(b)];
    expect(first.map((r) => r.status)).not.toContain(429);
    expect(first.map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual(['1', '0']);
    const refused = await verify(a);
    expect(refused.status).toBe(429);
    expect(limiterOf(refused)).toEqual({ limiter: 'totp_verify', limit: 2, window_seconds: 60 });
  });
});

describe.skipIf(redisMissing !== undefined)(`Redis dies mid-test${redisMissing ? ` (${redisMissing})` : ''}`, () => {
  it('general limits fall back to per-instance counters; auth limiters answer 503, then recover', async () => {
    const own = await startRedis({ spawn: true });
    const app = await startTestApp(db.url, { overrides: overrides({ redis: { url: own.url }, rate_limit: { global: '3/1m' } }), plugins: [testRoutes()] });
    extraApps.push(app);
    let restarted: TestRedis | undefined;
    try {
      expect((await signin(app, freshIp())).status).toBe(401);
      expect((await whoami(app, from(freshIp()))).status).toBe(200);
      const backendErrors = async () => parseMetrics(await (await app.fetch('/metrics', { headers: from(freshIp()) })).text()).value('fluxbase_ratelimit_backend_errors_total');
      expect(await backendErrors()).toBe(0);

      await own.close(); // SIGKILL

      // General: still served and still limited, now per instance.
      const h = from(freshIp(), { Authorization: `Bearer ${app.userToken(randomUUID())}` });
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push((await whoami(app, h)).status);
      expect(codes).toEqual([200, 200, 200, 429]);

      // Auth: 503 SERVICE_UNAVAILABLE with Retry-After, never unlimited.
      const down = await signin(app, freshIp());
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { limiter: 'login' } });
      expect(down.headers.get('retry-after')).toBe('5');
      expect((await call(app, 'POST', '/api/v1/auth/signup', { email: uniqueEmail(), password: STRONG_PASSWORD }, undefined, from(freshIp()))).status).toBe(503);
      // Every hit Redis did not answer is counted: the general ones (which fell back) and the auth ones (503).
      expect(await backendErrors()).toBeGreaterThanOrEqual(6);

      restarted = await startRedis({ port: Number(new URL(own.url).port) });
      expect(await eventually(async () => (await signin(app, freshIp())).status === 401)).toBe(true);
    } finally {
      await restarted?.close();
    }
  });
});
