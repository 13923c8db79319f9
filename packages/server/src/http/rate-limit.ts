// Rate limiting: fixed windows counted in a store. The in-memory store is bounded; the
// auth issue adds a Redis store behind the same interface.
import type { Rate } from '../config/index.ts';
import { AppError } from './errors/index.ts';

export interface RateLimitHit {
  count: number;
  /** Milliseconds until the window resets. */
  resetInMs: number;
}

export interface RateLimitStore {
  hit(key: string, windowMs: number): Promise<RateLimitHit>;
}

/** In-memory fixed-window counters, at most `maxKeys` (oldest windows evicted first). */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  constructor(private readonly maxKeys = 100_000, private readonly now: () => number = Date.now) {}

  hit(key: string, windowMs: number): Promise<RateLimitHit> {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      if (w) this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) this.evict(now);
      w = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, w);
    }
    w.count++;
    return Promise.resolve({ count: w.count, resetInMs: w.resetAt - now });
  }

  get size(): number {
    return this.windows.size;
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

export interface LimitDecision {
  allowed: boolean;
  headers: Record<string, string>;
  error?: AppError;
}

export class RateLimiter {
  constructor(
    readonly name: string,
    private readonly rate: Rate,
    private readonly store: RateLimitStore,
    private readonly describe = 'Too many requests',
  ) {}

  async check(key: string): Promise<LimitDecision> {
    const { count, resetInMs } = await this.store.hit(`${this.name}:${key}`, this.rate.windowMs);
    const resetSeconds = Math.max(1, Math.ceil(resetInMs / 1000));
    const headers = {
      'X-RateLimit-Limit': String(this.rate.count),
      'X-RateLimit-Remaining': String(Math.max(0, this.rate.count - count)),
      'X-RateLimit-Reset': String(resetSeconds),
    };
    if (count <= this.rate.count) return { allowed: true, headers };
    return {
      allowed: false,
      headers,
      error: new AppError('RATE_LIMITED', {
        message: `${this.describe}; retry in ${resetSeconds} seconds`,
        details: { limiter: this.name, limit: this.rate.count, window_seconds: Math.round(this.rate.windowMs / 1000) },
        extra: { retry_after: resetSeconds },
        headers: { ...headers, 'Retry-After': String(resetSeconds) },
      }),
    };
  }
}
