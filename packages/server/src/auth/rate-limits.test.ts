import os from 'node:os';
import type { FastifyReply } from 'fastify';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../config/index.ts';
import { FallbackRateLimitStore, MemoryRateLimitStore, RateLimitStoreUnavailableError, type RateLimitStore } from '../http/index.ts';
import { createMetrics } from '../observability/index.ts';
import type { AuthLimiterName, AuthLimitKeys } from './deps.ts';
import { createAuthLimits } from './rate-limits.ts';

const configWith = (rateLimit: Record<string, unknown>) =>
  loadConfig({ env: {}, cwd: os.tmpdir(), overrides: { rate_limit: rateLimit } }) as Config;

function fakeReply() {
  const headers: Record<string, string> = {};
  const reply = { headers: (h: Record<string, string>) => (Object.assign(headers, h), reply) };
  return { headers, reply: reply as unknown as FastifyReply };
}

interface Refusal {
  status: number;
  code: string;
  message: string;
  details: Record<string, unknown>;
  extra?: Record<string, unknown>;
  headers: Record<string, string>;
}

function setup(rateLimit: Record<string, unknown>, store: RateLimitStore = new MemoryRateLimitStore()) {
  const metrics = createMetrics({ processMetrics: false });
  const limits = createAuthLimits(configWith(rateLimit), store, metrics);
  /** Hits `n` times; the statuses (200 or the error's) and the last reply headers / error. */
  const run = async (name: AuthLimiterName, keys: AuthLimitKeys, n = 1) => {
    const statuses: number[] = [];
    let last: { headers: Record<string, string>; error?: Refusal } = { headers: {} };
    for (let i = 0; i < n; i++) {
      const { headers, reply } = fakeReply();
      try {
        await limits.hit(reply, name, keys);
        statuses.push(200);
        last = { headers };
      } catch (err) {
        statuses.push((err as Refusal).status);
        last = { headers, error: err as Refusal };
      }
    }
    return { statuses, ...last };
  };
  const hits = async (limiter: string) => (await metrics.rateLimitHits.get()).values.find((v) => v.labels.limiter === limiter)?.value ?? 0;
  return { run, hits };
}

describe('auth limits', () => {
  it('login: per IP, with X-RateLimit-* headers and the documented 429', async () => {
    const { run, hits } = setup({ login: '3/1m', login_per_email: '100/1h' });
    const first = await run('login', { ip: '10.0.0.1', email: 'a@x.io' });
    expect(first.headers).toEqual({ 'X-RateLimit-Limit': '3', 'X-RateLimit-Remaining': '2', 'X-RateLimit-Reset': '60' });
    // Other emails from the same IP share the IP budget.
    const more = await run('login', { ip: '10.0.0.1', email: 'b@x.io' }, 3);
    expect(more.statuses).toEqual([200, 200, 429]);
    expect(more.error).toMatchObject({
      code: 'RATE_LIMITED', message: 'Too many sign-in attempts; retry in 60 seconds',
      details: { limiter: 'login', limit: 3, window_seconds: 60 }, extra: { retry_after: 60 },
    });
    expect(more.error!.headers['Retry-After']).toBe('60');
    expect(more.headers['X-RateLimit-Remaining']).toBe('0'); // headers set on the refused reply too
    expect((await run('login', { ip: '10.0.0.2', email: 'a@x.io' })).statuses).toEqual([200]);
    expect(await hits('login')).toBe(1);
  });

  it('login: per email, across IPs', async () => {
    const { run } = setup({ login: '100/1m', login_per_email: '2/1h' });
    expect((await run('login', { ip: '10.0.0.1', email: 'victim@x.io' })).statuses).toEqual([200]);
    expect((await run('login', { ip: '10.0.0.2', email: 'victim@x.io' })).statuses).toEqual([200]);
    const third = await run('login', { ip: '10.0.0.3', email: 'victim@x.io' });
    expect(third.statuses).toEqual([429]);
    expect(third.error).toMatchObject({ details: { limiter: 'login', limit: 2, window_seconds: 3600 } });
    // Without an email (e.g. a malformed body) only the IP counts.
    expect((await run('login', { ip: '10.0.0.3' })).statuses).toEqual([200]);
  });

  it('shows the tighter rule in the headers', async () => {
    const { run } = setup({ login: '10/1m', login_per_email: '3/1h' });
    const r = await run('login', { ip: '10.0.0.9', email: 'c@x.io' });
    expect(r.headers).toMatchObject({ 'X-RateLimit-Limit': '3', 'X-RateLimit-Remaining': '2' });
  });

  it('signup: per IP', async () => {
    const { run } = setup({ signup: '2/1h' });
    expect((await run('signup', { ip: '10.0.0.1' }, 3)).statuses).toEqual([200, 200, 429]);
    expect((await run('signup', { ip: '10.0.0.2' })).statuses).toEqual([200]);
  });

  it('email_send: one per 60 s per address, then the hourly per-address and per-IP budgets', async () => {
    const { run } = setup({ email_send: '3/1h', email_send_per_email: '5/1h' });
    expect((await run('email_send', { ip: '10.0.0.1', email: 'a@x.io' })).statuses).toEqual([200]);
    const again = await run('email_send', { ip: '10.0.0.2', email: 'a@x.io' });
    expect(again.statuses).toEqual([429]);
    expect(again.error).toMatchObject({ details: { limiter: 'email_send', limit: 1, window_seconds: 60 } });
    // Other addresses from the first IP: the per-IP budget (3/h) runs out.
    expect((await run('email_send', { ip: '10.0.0.1', email: 'b@x.io' })).statuses).toEqual([200]);
    expect((await run('email_send', { ip: '10.0.0.1', email: 'c@x.io' })).statuses).toEqual([200]);
    const ipOver = await run('email_send', { ip: '10.0.0.1', email: 'd@x.io' });
    expect(ipOver.error).toMatchObject({ details: { limiter: 'email_send', limit: 3, window_seconds: 3600 } });
  });

  it('email_send: per address per hour, over the 60 s spacing', async () => {
    let now = 0;
    const { run } = setup({ email_send: '100/1h', email_send_per_email: '2/1h' }, new MemoryRateLimitStore(1000, () => now));
    expect((await run('email_send', { ip: '10.0.0.1', email: 'a@x.io' })).statuses).toEqual([200]);
    now = 61_000;
    expect((await run('email_send', { ip: '10.0.0.1', email: 'a@x.io' })).statuses).toEqual([200]);
    now = 122_000;
    const third = await run('email_send', { ip: '10.0.0.1', email: 'a@x.io' });
    expect(third.error).toMatchObject({ details: { limiter: 'email_send', limit: 2, window_seconds: 3600 }, extra: { retry_after: 3478 } });
  });

  it('refresh: per session family, and per IP', async () => {
    const { run } = setup({ refresh: '2/1m', refresh_per_ip: '3/5m' });
    expect((await run('refresh', { ip: '10.0.0.1', family: 'fam-1' }, 3)).statuses).toEqual([200, 200, 429]);
    // Another family from the same IP has its own budget, until the IP's runs out (4th hit).
    const other = await run('refresh', { ip: '10.0.0.1', family: 'fam-2' });
    expect(other.statuses).toEqual([429]);
    expect(other.error).toMatchObject({ details: { limiter: 'refresh', limit: 3, window_seconds: 300 } });
    // The same family from elsewhere is still over its per-family limit.
    expect((await run('refresh', { ip: '10.0.0.2', family: 'fam-1' })).error).toMatchObject({ details: { limit: 2 } });
    expect((await run('refresh', { ip: '10.0.0.3', family: 'fam-3' })).statuses).toEqual([200]);
  });

  it('totp_verify: per IP', async () => {
    const { run } = setup({ totp_verify: '1/1m' });
    const r = await run('totp_verify', { ip: '10.0.0.1' }, 2);
    expect(r.statuses).toEqual([200, 429]);
    expect(r.error!.message).toBe('Too many verification attempts; retry in 60 seconds');
  });

  it('rate_limit.enabled=false disables every auth limiter', async () => {
    const { run } = setup({ enabled: false, login: '1/1m', signup: '1/1m' });
    const r = await run('login', { ip: '10.0.0.1', email: 'a@x.io' }, 5);
    expect(r.statuses).toEqual([200, 200, 200, 200, 200]);
    expect(r.headers).toEqual({});
  });

  it('answers 503 with Retry-After when the shared store is down, never allowing or falling back', async () => {
    const down: RateLimitStore = { hit: () => Promise.reject(new RateLimitStoreUnavailableError('redis down')) };
    // A fallback wrapper (what the factory builds with Redis) must not rescue the auth limits.
    const store = new FallbackRateLimitStore(down, { warn: () => {}, info: () => {} });
    const { run, hits } = setup({}, store);
    for (const name of ['login', 'signup', 'email_send', 'refresh', 'totp_verify'] as const) {
      const r = await run(name, { ip: '10.0.0.1', email: 'a@x.io', family: 'f' });
      expect(r.statuses).toEqual([503]);
      expect(r.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', headers: { 'Retry-After': '5' } });
    }
    expect(await hits('login')).toBe(0); // a 503 is not a rate-limit hit
  });
});
