// Rate-limit counters in Redis, shared by every instance (docs/auth.md "Sharing limits
// between instances (Redis)", hardening 1.3): one Lua script per hit (INCR, PEXPIRE when
// the window is new, PTTL) so concurrent instances never race. Fails fast when Redis is
// away (no offline queue, short timeouts) with a typed error; the factory wraps it so
// general limits fall back and auth limits answer 503.
import { createRequire } from 'node:module';
import type * as IoRedis from 'ioredis';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.ts';
import type { Logger } from '../observability/index.ts';
import {
  FallbackRateLimitStore, MemoryRateLimitStore, RateLimitStoreUnavailableError, type RateLimitHit, type RateLimitStore,
} from './rate-limit.ts';

export const REDIS_KEY_PREFIX = 'fluxbase:rl:';

// KEYS[1] = counter, ARGV[1] = window in ms. A key left without a TTL (PTTL -1, e.g. by a
// crash between commands elsewhere) gets one too, so no counter lives forever.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

export interface RedisStoreOptions {
  /** Prepended to every key (default `fluxbase:rl:`). */
  keyPrefix?: string;
  /** Connect timeout in ms (default 500). */
  connectTimeoutMs?: number;
  /** Per-command timeout in ms (default 500): a hung Redis must not hold requests. */
  commandTimeoutMs?: number;
  /** Longest pause between reconnect attempts in ms (default 2000). */
  maxReconnectDelayMs?: number;
  logger?: Pick<Logger, 'warn' | 'info'> | undefined;
  /** Called for every hit Redis failed to answer (fluxbase_ratelimit_backend_errors_total). */
  onBackendError?: (() => void) | undefined;
}

type HitCommand = (key: string, windowMs: number) => Promise<[number, number]>;

export class RedisRateLimitStore implements RateLimitStore {
  readonly kind = 'redis';
  private readonly client: Redis;
  private readonly prefix: string;
  private readonly connectTimeoutMs: number;
  private everReady = false;
  private connectionLost = false;
  private closed = false;
  private firstWait: Promise<boolean> | undefined;
  private readonly onBackendError: () => void;

  constructor(url: string, options: RedisStoreOptions = {}) {
    this.prefix = options.keyPrefix ?? REDIS_KEY_PREFIX;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 500;
    this.onBackendError = options.onBackendError ?? (() => {});
    const maxDelay = options.maxReconnectDelayMs ?? 2000;
    // Required here, not imported at the top: servers without Redis never load ioredis (~20 MB resident).
    const { Redis: RedisClient } = createRequire(import.meta.url)('ioredis') as typeof IoRedis;
    this.client = new RedisClient(url, {
      connectTimeout: this.connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs ?? 500,
      // Fail at once while disconnected instead of queueing requests behind a dead server.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // Keep reconnecting in the background, backing off to `maxDelay`.
      retryStrategy: (attempt) => (this.closed ? null : Math.min(50 * 2 ** attempt, maxDelay)),
    });
    this.client.defineCommand('fluxbaseRateHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    const log = options.logger;
    // Without an 'error' listener ioredis prints every reconnect failure; log once per outage.
    this.client.on('error', (err: Error) => {
      if (this.connectionLost || this.closed) return;
      this.connectionLost = true;
      log?.warn({ err: { message: err.message } }, 'redis (rate limits) unreachable; reconnecting in the background');
    });
    this.client.on('ready', () => {
      if (this.connectionLost && this.everReady) log?.info('redis (rate limits) connection restored');
      this.everReady = true;
      this.connectionLost = false;
    });
    this.client.on('end', () => {
      if (!this.closed && !this.connectionLost) this.connectionLost = true;
    });
  }

  /** ioredis status (`ready`, `connecting`, `reconnecting`, `end`, ...). */
  get status(): string {
    return this.client.status;
  }

  /**
   * Resolves true once connected; false after `timeoutMs` or at the next connection error.
   * Lets startup (and the very first hits) wait briefly for the first connection.
   */
  async waitReady(timeoutMs = this.connectTimeoutMs): Promise<boolean> {
    if (this.client.status === 'ready') return true;
    if (this.closed) return false;
    let timer: NodeJS.Timeout | undefined;
    let onReady: (() => void) | undefined;
    let onError: (() => void) | undefined;
    const ready = new Promise<boolean>((resolve) => {
      onReady = () => resolve(true);
      onError = () => resolve(false);
      this.client.once('ready', onReady);
      this.client.once('error', onError);
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await ready;
    } finally {
      clearTimeout(timer);
      if (onReady) this.client.off('ready', onReady);
      if (onError) this.client.off('error', onError);
    }
  }

  async hit(key: string, windowMs: number): Promise<RateLimitHit> {
    if (this.closed) throw new RateLimitStoreUnavailableError('redis rate-limit store is closed');
    // The first requests after startup may arrive while the first connection is being made;
    // once an attempt has failed, fail fast instead. Concurrent first hits share one wait.
    if (!this.everReady && !this.connectionLost && this.client.status !== 'ready') {
      await (this.firstWait ??= this.waitReady().finally(() => (this.firstWait = undefined)));
    }
    const run = (this.client as unknown as { fluxbaseRateHit: HitCommand }).fluxbaseRateHit;
    try {
      const [count, ttl] = await run.call(this.client, this.prefix + key, Math.max(1, Math.round(windowMs)));
      return { count: Number(count), resetInMs: Math.max(0, Number(ttl)) };
    } catch (err) {
      // Counted per failed hit (not per outage, which is logged once): the rate shows how many
      // requests were limited per instance or refused 503 meanwhile. Not counted after close().
      this.onBackendError();
      throw new RateLimitStoreUnavailableError(`redis rate-limit store unavailable: ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      this.client.disconnect();
    }
  }
}

export interface CreatedRateLimitStore extends RateLimitStore {
  readonly kind: 'memory' | 'redis';
  readonly strict: RateLimitStore;
  close(): Promise<void>;
}

const REDIS_URL = /^(redis|rediss):\/\/[^\s]*$/i;

/**
 * The store every limiter of an app shares: in memory by default; with `redis.url`
 * (FLUXBASE_REDIS_URL), Redis, falling back to per-instance memory for general limits while
 * Redis is unreachable (`strict` stays Redis-only for the auth limits).
 */
export function createRateLimitStore(config: Pick<Config, 'redis'>, logger: Logger, options: RedisStoreOptions = {}): CreatedRateLimitStore {
  const url = config.redis.url.trim();
  if (url === '') {
    const memory = new MemoryRateLimitStore();
    return { kind: 'memory', strict: memory, hit: (k, w) => memory.hit(k, w), close: () => memory.close() };
  }
  if (!REDIS_URL.test(url)) throw new Error('redis.url must be a redis:// or rediss:// URL (e.g. redis://localhost:6379/0)');
  const redis = new RedisRateLimitStore(url, { logger, ...options });
  const store = new FallbackRateLimitStore(redis, logger);
  return { kind: 'redis', strict: redis, hit: (k, w) => store.hit(k, w), close: () => store.close() };
}
