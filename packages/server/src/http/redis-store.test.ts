// The Redis store's behaviour without a Redis: the factory's choice, URL checking, and
// failing fast (typed error, fallback) when nothing listens. Counting against a real
// redis-server is in test/rate-limit-redis.test.ts.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/index.ts';
import { RateLimitStoreUnavailableError } from './rate-limit.ts';
import { createRateLimitStore, RedisRateLimitStore } from './redis-store.ts';

const logger = createLogger({ level: 'silent', format: 'json' });
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A loopback port with nothing listening on it. */
async function deadPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('createRateLimitStore', () => {
  it('keeps counters in memory when redis.url is empty', async () => {
    const store = createRateLimitStore({ redis: { url: '' } }, logger);
    closers.push(() => store.close());
    expect(store.kind).toBe('memory');
    expect((await store.hit('k', 1000)).count).toBe(1);
    expect((await store.strict.hit('k', 1000)).count).toBe(2); // strict is the same counters
  });

  it('refuses a redis.url that is not a redis URL, naming the key', () => {
    expect(() => createRateLimitStore({ redis: { url: 'localhost:6379' } }, logger)).toThrow(/redis\.url must be a redis:\/\/ or rediss:\/\/ URL/);
  });

  it('with Redis unreachable: general hits fall back, strict hits fail with the typed error', async () => {
    const store = createRateLimitStore({ redis: { url: `redis://127.0.0.1:${await deadPort()}` } }, logger, { maxReconnectDelayMs: 50 });
    closers.push(() => store.close());
    expect(store.kind).toBe('redis');
    expect((await store.hit('k', 60_000)).count).toBe(1);
    expect((await store.hit('k', 60_000)).count).toBe(2);
    await expect(store.strict.hit('k', 60_000)).rejects.toBeInstanceOf(RateLimitStoreUnavailableError);
  });
});

describe('RedisRateLimitStore', () => {
  it('fails fast with RateLimitStoreUnavailableError when nothing listens', async () => {
    const store = new RedisRateLimitStore(`redis://127.0.0.1:${await deadPort()}`, { connectTimeoutMs: 200, maxReconnectDelayMs: 50 });
    closers.push(() => store.close());
    const err = await store.hit('k', 1000).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitStoreUnavailableError);
    expect((err as Error).message).toMatch(/redis rate-limit store unavailable/);
    expect(await store.waitReady(50)).toBe(false);
  });

  it('refuses hits after close()', async () => {
    const store = new RedisRateLimitStore(`redis://127.0.0.1:${await deadPort()}`, { maxReconnectDelayMs: 50 });
    await store.close();
    await expect(store.hit('k', 1000)).rejects.toThrow(/closed/);
    await store.close(); // idempotent
  });
});

describe('configuration', () => {
  it('reads redis.url from FLUXBASE_REDIS_URL (the env form of the key)', async () => {
    const { loadConfig } = await import('../config/index.ts');
    const os = await import('node:os');
    expect(loadConfig({ env: { FLUXBASE_REDIS_URL: 'redis://cache:6379/2' }, cwd: os.tmpdir() }).redis.url).toBe('redis://cache:6379/2');
    expect(loadConfig({ env: {}, cwd: os.tmpdir() }).redis.url).toBe('');
  });
});
