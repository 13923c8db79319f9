import { describe, expect, it } from 'vitest';
import { MemoryRateLimitStore, RateLimiter } from './rate-limit.ts';

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
    expect(third.error?.headers['Retry-After']).toBe('42');
    expect((await limiter.check('ip:2')).allowed).toBe(true); // other keys unaffected
    now = 60_001;
    expect((await limiter.check('ip:1')).allowed).toBe(true); // new window
  });

  it('keeps at most maxKeys windows', async () => {
    const store = new MemoryRateLimitStore(100);
    for (let i = 0; i < 1000; i++) await store.hit(`k${i}`, 60_000);
    expect(store.size).toBeLessThanOrEqual(100);
  });
});
