// Rate limiting (docs/auth.md "Rate limits"): fixed windows counted in a store, and the
// limiter that turns a count into X-RateLimit-* headers or a 429. The in-memory store is
// bounded; the Redis store (redis-store.ts) shares counters between instances, and
// FallbackRateLimitStore keeps general limits working on per-instance counters while Redis
// is unreachable.
import type { Rate } from '../config/index.ts';
import type { Logger } from '../observability/index.ts';
import { AppError } from './errors/index.ts';

export interface RateLimitHit {
  count: number;
  /** Milliseconds until the window resets. */
  resetInMs: number;
}

export interface RateLimitStore {
  /** Count one hit on `key` in a fixed window of `windowMs`; throws RateLimitStoreUnavailableError when a shared store is unreachable. */
  hit(key: string, windowMs: number): Promise<RateLimitHit>;
  /** `hit` answered at once, for stores that need no I/O (the memory store). */
  hitNow?(key: string, windowMs: number): RateLimitHit;
  /**
   * The same counters without any fallback, for limits that must never become per-instance
   * (the auth limiters answer 503 instead). Absent: `hit` itself never falls back.
   */
  readonly strict?: RateLimitStore | undefined;
  /** Release connections (Redis); the memory store has nothing to close. */
  close?(): Promise<void>;
}

/** The shared store could not answer (connection down, command timeout). */
export class RateLimitStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RateLimitStoreUnavailableError';
  }
}

export const isRateLimitStoreUnavailable = (err: unknown): err is RateLimitStoreUnavailableError =>
  err instanceof RateLimitStoreUnavailableError;

/** In-memory fixed-window counters, at most `maxKeys` (oldest windows evicted first). */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  constructor(private readonly maxKeys = 100_000, private readonly now: () => number = Date.now) {}

  hit(key: string, windowMs: number): Promise<RateLimitHit> {
    return Promise.resolve(this.hitNow(key, windowMs));
  }

  hitNow(key: string, windowMs: number): RateLimitHit {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      if (w) this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) this.evict(now);
      w = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, w);
    }
    w.count++;
    return { count: w.count, resetInMs: w.resetAt - now };
  }

  get size(): number {
    return this.windows.size;
  }

  close(): Promise<void> {
    this.windows.clear();
    return Promise.resolve();
  }

  private evict(now: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    // Still full: drop the oldest entries (Map keeps insertion order).
    const excess = this.windows.size - this.maxKeys + 1;
    if (excess > 0) {
      let i = 0;
      for (const k of this.windows.keys()) {
        if (i++ >= excess) break;
        this.windows.delete(k);
      }
    }
  }
}

/**
 * A shared store with a per-instance safety net: while `primary` is unreachable, hits are
 * counted in `fallback` (one warning per outage), so general limits keep limiting instead
 * of failing every request. `strict` is the primary alone, for limits that must not degrade.
 */
export class FallbackRateLimitStore implements RateLimitStore {
  private inOutage = false;

  constructor(
    private readonly primary: RateLimitStore,
    private readonly logger: Pick<Logger, 'warn' | 'info'>,
    private readonly fallback: RateLimitStore = new MemoryRateLimitStore(),
  ) {}

  get strict(): RateLimitStore {
    return this.primary;
  }

  /** Whether the last primary call failed (hits are being counted per instance). */
  get degraded(): boolean {
    return this.inOutage;
  }

  async hit(key: string, windowMs: number): Promise<RateLimitHit> {
    try {
      const result = await this.primary.hit(key, windowMs);
      if (this.inOutage) {
        this.inOutage = false;
        this.logger.info('rate-limit store reachable again; general limits are shared across instances again');
      }
      return result;
    } catch (err) {
      if (!isRateLimitStoreUnavailable(err)) throw err;
      if (!this.inOutage) {
        this.inOutage = true;
        this.logger.warn({ err }, 'rate-limit store unreachable: general limits fall back to per-instance counters; auth limits answer 503 until it returns');
      }
      return this.fallback.hit(key, windowMs);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.close?.(), this.fallback.close?.()]);
  }
}

export interface LimitDecision {
  allowed: boolean;
  headers: Record<string, string>;
  error?: AppError;
}

export interface RateLimiterOptions {
  /** First part of the 429 message, e.g. "Too many sign-in attempts" (default "Too many requests"). */
  message?: string;
  /** Store key prefix (default: the limiter name); distinct rules of one limiter need distinct prefixes. */
  keyPrefix?: string;
}

/** Seconds the client must wait when the store cannot be asked (503 Retry-After). */
export const STORE_UNAVAILABLE_RETRY_SECONDS = 5;

const seconds = (n: number) => `${n} ${n === 1 ? 'second' : 'seconds'}`;

export class RateLimiter {
  private readonly message: string;
  private readonly keyPrefix: string;

  constructor(
    readonly name: string,
    readonly rate: Rate,
    private readonly store: RateLimitStore,
    options: string | RateLimiterOptions = {},
  ) {
    const o = typeof options === 'string' ? { message: options } : options;
    this.message = o.message ?? 'Too many requests';
    this.keyPrefix = o.keyPrefix ?? name;
  }

  /**
   * Count one hit for `key`. Over the limit: `allowed: false` with the 429 of docs/auth.md
   * "Responses" in `error`.
   * Throws 503 SERVICE_UNAVAILABLE when the store is unreachable (never allows silently).
   */
  /** `check` answered at once when the store needs no I/O (the memory store), else undefined. */
  checkNow(key: string): LimitDecision | undefined {
    if (this.store.hitNow === undefined) return undefined;
    return this.decide(this.store.hitNow(`${this.keyPrefix}:${key}`, this.rate.windowMs));
  }

  async check(key: string): Promise<LimitDecision> {
    let hit: RateLimitHit;
    try {
      hit = await this.store.hit(`${this.keyPrefix}:${key}`, this.rate.windowMs);
    } catch (err) {
      if (!isRateLimitStoreUnavailable(err)) throw err;
      throw new AppError('SERVICE_UNAVAILABLE', {
        message: 'Rate limiting is temporarily unavailable; retry shortly',
        details: { limiter: this.name },
        headers: { 'Retry-After': String(STORE_UNAVAILABLE_RETRY_SECONDS) },
        cause: err,
      });
    }
    return this.decide(hit);
  }

  private decide(hit: RateLimitHit): LimitDecision {
    const resetSeconds = Math.max(1, Math.ceil(hit.resetInMs / 1000));
    const headers = {
      'X-RateLimit-Limit': String(this.rate.count),
      'X-RateLimit-Remaining': String(Math.max(0, this.rate.count - hit.count)),
      'X-RateLimit-Reset': String(resetSeconds),
    };
    if (hit.count <= this.rate.count) return { allowed: true, headers };
    return {
      allowed: false,
      headers,
      error: new AppError('RATE_LIMITED', {
        message: `${this.message}; retry in ${seconds(resetSeconds)}`,
        details: { limiter: this.name, limit: this.rate.count, window_seconds: Math.max(1, Math.round(this.rate.windowMs / 1000)) },
        extra: { retry_after: resetSeconds },
        headers: { ...headers, 'Retry-After': String(resetSeconds) },
      }),
    };
  }
}

/**
 * Of several decisions for one request (e.g. per IP and per email), the one to report: a
 * refusal if any (the longest wait), else the one with the fewest requests left.
 */
export function mostRestrictive(decisions: readonly LimitDecision[]): LimitDecision | undefined {
  let pick: LimitDecision | undefined;
  const remaining = (d: LimitDecision) => Number(d.headers['X-RateLimit-Remaining']);
  const reset = (d: LimitDecision) => Number(d.headers['X-RateLimit-Reset']);
  for (const d of decisions) {
    if (!pick) pick = d;
    else if (!d.allowed && pick.allowed) pick = d;
    else if (d.allowed !== pick.allowed) continue;
    else if (!d.allowed ? reset(d) > reset(pick) : remaining(d) < remaining(pick) || (remaining(d) === remaining(pick) && reset(d) > reset(pick))) pick = d;
  }
  return pick;
}
