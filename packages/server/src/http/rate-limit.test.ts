import { describe, expect, it } from 'vitest';
import {
  FallbackRateLimitStore, MemoryRateLimitStore, mostRestrictive, RateLimiter, RateLimitStoreUnavailableError, type RateLimitStore,
} from './rate-limit.ts';

/** A store that can be switched off, standing in for an unreachable Redis. */
class SwitchableStore implements RateLimitStore {
  down = false;
  calls = 0;
  private readonly memory = new MemoryRateLimitStore();
  hit(key: string, windowMs: number) {
    this.calls++;
    if (this.down) return Promise.reject(new RateLimitStoreUnavailableError('down'));
    return this.memory.hit(key, windowMs);
  }
}

const recorder = () => {
  const lines: { level: string; msg: string }[] = [];
  const log = (level: string) => (a: unknown, b?: unknown) => {
    lines.push({ level, msg: typeof a === 'string' ? a : String(b) });
  };
  return { lines, logger: { warn: log('warn'), info: log('info') } };
};

describe('RateLimiter', () => {
  it('allows up to the limit per window, then answers 429 details and headers', async () => {
    let now = 0;
    const limiter = new RateLimiter('login', { count: 2, windowMs: 60_000 }, new MemoryRateLimitStore(10, () => now), 'Too many sign-in attempts');
    expect((await limiter.check('ip:1')).headers['X-RateLimit-Remaining']).toBe('1');
    expect((await limiter.check('ip:1')).allowed).toBe(true);
    now = 18_000;
    const third = await limiter.check('ip:1');
    expect(third.allowed).toBe(false);
    expect(third.error?.code).toBe('RATE_LIMITED');
    expect(third.error?.message).toBe('Too many sign-in attempts; retry in 42 seconds');
    expect(third.error?.details).toEqual({ limiter: 'login', limit: 2, window_seconds: 60 });
    expect(third.error?.extra).toEqual({ retry_after: 42 });
    expect(third.error?.headers).toEqual({ 'X-RateLimit-Limit': '2', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '42', 'Retry-After': '42' });
    expect((await limiter.check('ip:2')).allowed).toBe(true); // other keys unaffected
    now = 60_001;
    expect((await limiter.check('ip:1')).allowed).toBe(true); // new window
  });

  it('answers at once (checkNow) from the memory store, counting in the same windows as check; undefined for a store with I/O', async () => {
    const now = 0;
    const limiter = new RateLimiter('global', { count: 2, windowMs: 60_000 }, new MemoryRateLimitStore(10, () => now));
    expect(limiter.checkNow('user:1')).toMatchObject({ allowed: true, headers: { 'X-RateLimit-Remaining': '1' } });
    expect((await limiter.check('user:1')).allowed).toBe(true);
    const third = limiter.checkNow('user:1');
    expect([third?.allowed, third?.error?.code, third?.error?.headers?.['Retry-After']]).toEqual([false, 'RATE_LIMITED', '60']);
    expect(new RateLimiter('global', { count: 2, windowMs: 60_000 }, new SwitchableStore()).checkNow('user:1')).toBeUndefined();
  });

  it('says "1 second" and never less than one', async () => {
    let now = 0;
    const limiter = new RateLimiter('global', { count: 1, windowMs: 1000 }, new MemoryRateLimitStore(10, () => now));
    await limiter.check('k');
    now = 999;
    const refused = await limiter.check('k');
    expect(refused.error?.message).toBe('Too many requests; retry in 1 second');
    expect(refused.headers['X-RateLimit-Reset']).toBe('1');
  });

  it('keeps rules with different key prefixes apart', async () => {
    const store = new MemoryRateLimitStore();
    const perHour = new RateLimiter('email_send', { count: 5, windowMs: 3_600_000 }, store);
    const perMinute = new RateLimiter('email_send', { count: 1, windowMs: 60_000 }, store, { keyPrefix: 'email_send_interval' });
    expect((await perMinute.check('email:a')).allowed).toBe(true);
    expect((await perHour.check('email:a')).headers['X-RateLimit-Remaining']).toBe('4');
    expect((await perMinute.check('email:a')).allowed).toBe(false);
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After when the store is unreachable', async () => {
    const store = new SwitchableStore();
    store.down = true;
    const limiter = new RateLimiter('login', { count: 10, windowMs: 60_000 }, store);
    const err = await limiter.check('ip:1').then(() => undefined, (e: unknown) => e as { code: string; status: number; headers: Record<string, string>; details: unknown });
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, details: { limiter: 'login' } });
    expect(err?.headers['Retry-After']).toBe('5');
  });

  it('lets unexpected store errors through (a bug is a 500, not a 503)', async () => {
    const broken: RateLimitStore = { hit: () => Promise.reject(new TypeError('bug')) };
    await expect(new RateLimiter('x', { count: 1, windowMs: 1000 }, broken).check('k')).rejects.toThrow(TypeError);
  });

  it('keeps at most maxKeys windows', async () => {
    const store = new MemoryRateLimitStore(100);
    for (let i = 0; i < 1000; i++) await store.hit(`k${i}`, 60_000);
    expect(store.size).toBeLessThanOrEqual(100);
  });
});

describe('FallbackRateLimitStore', () => {
  it('counts in the primary while it answers', async () => {
    const primary = new SwitchableStore();
    const { logger, lines } = recorder();
    const store = new FallbackRateLimitStore(primary, logger);
    expect((await store.hit('k', 60_000)).count).toBe(1);
    expect((await primary.hit('k', 60_000)).count).toBe(2); // same counter
    expect(lines).toEqual([]);
    expect(store.strict).toBe(primary);
  });

  it('falls back to per-instance counters during an outage, warning once, and recovers', async () => {
    const primary = new SwitchableStore();
    const { logger, lines } = recorder();
    const store = new FallbackRateLimitStore(primary, logger);
    await store.hit('k', 60_000);
    primary.down = true;
    expect((await store.hit('k', 60_000)).count).toBe(1); // fresh per-instance window
    expect((await store.hit('k', 60_000)).count).toBe(2);
    expect(store.degraded).toBe(true);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(lines[0]!.msg).toMatch(/per-instance/);
    primary.down = false;
    expect((await store.hit('k', 60_000)).count).toBe(2); // back on the shared counter
    expect(store.degraded).toBe(false);
    expect(lines.at(-1)).toMatchObject({ level: 'info' });
    primary.down = true;
    await store.hit('k', 60_000);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(2); // a new outage warns again
  });

  it('does not hide the outage from strict users', async () => {
    const primary = new SwitchableStore();
    primary.down = true;
    const store = new FallbackRateLimitStore(primary, recorder().logger);
    await expect(store.strict.hit('k', 1000)).rejects.toBeInstanceOf(RateLimitStoreUnavailableError);
  });

  it('rethrows errors that are not outages', async () => {
    const broken: RateLimitStore = { hit: () => Promise.reject(new TypeError('bug')) };
    await expect(new FallbackRateLimitStore(broken, recorder().logger).hit('k', 1000)).rejects.toThrow(TypeError);
  });
});

describe('mostRestrictive', () => {
  const d = (allowed: boolean, remaining: number, reset: number) => ({
    allowed, headers: { 'X-RateLimit-Limit': '10', 'X-RateLimit-Remaining': String(remaining), 'X-RateLimit-Reset': String(reset) },
  });
  it('reports a refusal over any allowance, and the longest refusal', () => {
    expect(mostRestrictive([d(true, 0, 10), d(false, 0, 5)])).toEqual(d(false, 0, 5));
    expect(mostRestrictive([d(false, 0, 5), d(false, 0, 3000), d(true, 1, 1)])).toEqual(d(false, 0, 3000));
  });
  it('otherwise the one with the fewest requests left', () => {
    expect(mostRestrictive([d(true, 9, 60), d(true, 3, 3600)])).toEqual(d(true, 3, 3600));
    expect(mostRestrictive([d(true, 3, 60), d(true, 3, 3600)])).toEqual(d(true, 3, 3600));
    expect(mostRestrictive([])).toBeUndefined();
  });
});
