// The Redis rate-limit store against a real redis-server (seed 1.3): counters shared by
// several store instances (one per app instance), atomic under concurrency, windows that
// expire, the typed error when Redis dies, and recovery when it comes back.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitStoreUnavailableError, RedisRateLimitStore } from '../src/http/index.ts';
import { redisMissing, startRedis, type TestRedis } from './harness/redis.ts';

let redis: TestRedis;
let raw: Redis;
const stores: RedisRateLimitStore[] = [];
const newStore = (url = redis.url, onBackendError?: () => void) => {
  const s = new RedisRateLimitStore(url, { maxReconnectDelayMs: 50, onBackendError });
  stores.push(s);
  return s;
};
const unique = (name: string) => `${name}:${Math.random().toString(36).slice(2)}`;

beforeAll(async () => {
  if (redisMissing) return;
  redis = await startRedis();
  raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  for (const s of stores) await s.close();
  raw?.disconnect();
  await redis?.close();
});

describe.skipIf(redisMissing !== undefined)(`RedisRateLimitStore${redisMissing ? ` (${redisMissing})` : ''}`, () => {
  it('shares one counter between store instances, under the fluxbase:rl: prefix with the window as TTL', async () => {
    const a = newStore();
    const b = newStore();
    const key = unique('shared');
    expect((await a.hit(key, 60_000)).count).toBe(1);
    expect((await b.hit(key, 60_000)).count).toBe(2);
    const third = await a.hit(key, 60_000);
    expect(third.count).toBe(3);
    expect(third.resetInMs).toBeGreaterThan(0);
    expect(third.resetInMs).toBeLessThanOrEqual(60_000);
    expect(await raw.get(`fluxbase:rl:${key}`)).toBe('3');
    const ttl = await raw.pttl(`fluxbase:rl:${key}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('counts atomically: 200 concurrent hits from two instances get the counts 1..200 exactly once', async () => {
    const a = newStore();
    const b = newStore();
    const key = unique('race');
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).hit(key, 60_000)));
    expect(results.map((r) => r.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('starts a new window when the old one expires', async () => {
    const s = newStore();
    const key = unique('expiry');
    await s.hit(key, 200);
    expect((await s.hit(key, 200)).count).toBe(2);
    const deadline = Date.now() + 5000;
    while ((await raw.exists(`fluxbase:rl:${key}`)) === 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect((await s.hit(key, 200)).count).toBe(1);
  });

  it('gives a counter that lost its TTL a new one (no counter lives forever)', async () => {
    const s = newStore();
    const key = unique('nottl');
    await raw.set(`fluxbase:rl:${key}`, '7');
    const hit = await s.hit(key, 30_000);
    expect(hit.count).toBe(8);
    expect(hit.resetInMs).toBe(30_000);
    expect(await raw.pttl(`fluxbase:rl:${key}`)).toBeGreaterThan(0);
  });

  it('throws RateLimitStoreUnavailableError when Redis dies, and recovers when it returns', async () => {
    const own = await startRedis({ spawn: true });
    const s = newStore(own.url);
    const key = unique('outage');
    expect((await s.hit(key, 60_000)).count).toBe(1);
    await own.close(); // SIGKILL: a crash, not a clean shutdown
    await expect(s.hit(key, 60_000)).rejects.toBeInstanceOf(RateLimitStoreUnavailableError);
    const port = Number(new URL(own.url).port);
    const again = await startRedis({ port });
    try {
      // The store reconnects in the background; the restarted server has neither the counter nor the script.
      const deadline = Date.now() + 10_000;
      let count: number | undefined;
      while (count === undefined && Date.now() < deadline) {
        count = await s.hit(key, 60_000).then((h) => h.count, () => undefined);
        if (count === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      expect(count).toBe(1);
    } finally {
      await again.close();
    }
  });

  it('reports every hit Redis fails to answer (fluxbase_ratelimit_backend_errors_total), and none after close()', async () => {
    const own = await startRedis({ spawn: true });
    let errors = 0;
    const s = newStore(own.url, () => errors++);
    const key = unique('errors');
    await s.hit(key, 60_000);
    expect(errors).toBe(0);
    await own.close(); // SIGKILL
    for (let i = 0; i < 3; i++) await expect(s.hit(key, 60_000)).rejects.toBeInstanceOf(RateLimitStoreUnavailableError);
    expect(errors).toBe(3);
    await s.close();
    await expect(s.hit(key, 60_000)).rejects.toBeInstanceOf(RateLimitStoreUnavailableError);
    expect(errors).toBe(3); // closing is ours, not the backend's failure
  });
});
