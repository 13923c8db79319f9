// Verifying a presented `sk_` key (docs/auth.md "Using a key"): format, prefix lookup,
// constant-time hash compare, state (revoked, expired, grace period, disabled) and the
// key's own rate limits, then the service_key principal. Verified rows are cached for at
// most `cacheTtlMs` (the bound on how stale another instance can be when a NOTIFY is
// missed); `invalidate()` empties the cache at once (NOTIFY, or the instance that made the
// change).
import { timingSafeEqual } from 'node:crypto';
import { AppError, MemoryRateLimitStore, type Principal, type RateLimitStore, type ServiceKeyVerifier } from '../../http/index.ts';
import { BoundedCache, type CacheRegistry, type Logger } from '../../observability/index.ts';
import { hashKey, isWellFormedKey, keyPrefix } from './key-format.ts';
import { refusalReason, type RefusalReason, type ServiceKeyRow } from './key-status.ts';
import type { RowWithHash } from './key-store.ts';

export interface KeyVerifierOptions {
  /** Rows whose key_prefix matches (normally 0 or 1). */
  lookup(prefix: string): Promise<RowWithHash[]>;
  /** Record use of the key (called at most once per `touchIntervalMs` per key). */
  touch(id: string): Promise<void>;
  rateLimitStore: RateLimitStore;
  logger: Logger;
  /** Default 4000 ms: with NOTIFY missed, another instance sees a change within 5 s. */
  cacheTtlMs?: number;
  /** Default 60 000 ms. */
  touchIntervalMs?: number;
  /** Default 10 000 cached keys (known and unknown). */
  maxCached?: number;
  now?: () => number;
  /** Where the key cache reports (cache="service_keys"). */
  caches?: CacheRegistry | undefined;
}

interface Cached {
  row: ServiceKeyRow | null;
  fetchedAt: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

const MESSAGES: Record<RefusalReason | 'unknown' | 'malformed', string> = {
  malformed: 'Malformed service key: expected sk_ followed by 43 base64url characters',
  unknown: 'Unknown service key',
  revoked: 'This service key has been revoked',
  expired: 'This service key has expired',
  grace_period_ended: 'This service key was replaced and its grace period has ended',
  disabled: 'This service key is disabled',
};

export function invalidKey(reason: keyof typeof MESSAGES): AppError {
  return new AppError('INVALID_API_KEY', { message: MESSAGES[reason], details: { reason } });
}

/** The claims of a stored key (docs/auth.md "Using a key"). */
export function keyPrincipal(row: ServiceKeyRow, token: string): Principal {
  return {
    kind: 'service_key',
    role: 'service_role',
    claims: { iss: 'fluxbase', role: 'service_role', key_id: row.id, key_name: row.name, scopes: row.scopes },
    userId: null,
    keyId: row.id,
    scopes: row.scopes,
    token,
  };
}

export class KeyVerifier implements ServiceKeyVerifier {
  private readonly cache: BoundedCache<string, Cached>;
  private readonly touched = new Map<string, number>();
  /** Bumped by invalidate(): a lookup begun before it must not refill the cache. */
  private generation = 0;
  private readonly ttl: number;
  private readonly touchInterval: number;
  private readonly maxCached: number;
  private readonly now: () => number;
  private fallbackStore: RateLimitStore | undefined;

  constructor(private readonly options: KeyVerifierOptions) {
    this.ttl = options.cacheTtlMs ?? 4000;
    this.touchInterval = options.touchIntervalMs ?? MINUTE_MS;
    this.maxCached = options.maxCached ?? 10_000;
    this.cache = new BoundedCache('service_keys', this.maxCached, options.caches);
    this.now = options.now ?? Date.now;
  }

  async verify(key: string): Promise<Principal> {
    if (!isWellFormedKey(key)) throw invalidKey('malformed');
    const row = await this.find(key);
    if (row === null) throw invalidKey('unknown');
    const reason = refusalReason(row, this.now());
    if (reason !== null) throw invalidKey(reason);
    await this.checkRateLimits(row);
    this.markUsed(row.id);
    return keyPrincipal(row, key);
  }

  /** Forget every cached key (any change: which key changed does not matter, changes are rare). */
  invalidate(): void {
    this.generation++;
    this.cache.clear();
  }

  get cachedCount(): number {
    return this.cache.size;
  }

  private async find(key: string): Promise<ServiceKeyRow | null> {
    const hash = hashKey(key);
    const cacheKey = hash.toString('base64');
    const hit = this.cache.get(cacheKey);
    if (hit && this.now() - hit.fetchedAt < this.ttl) return hit.row;
    const generation = this.generation;
    const fetchedAt = this.now();
    const rows = await this.options.lookup(keyPrefix(key));
    let found: ServiceKeyRow | null = null;
    // Compare with every candidate, in constant time each, so timing says nothing about the hash.
    for (const { key_hash, ...row } of rows) {
      if (key_hash.length === hash.length && timingSafeEqual(key_hash, hash)) found = row;
    }
    if (generation === this.generation) {
      this.cache.set(cacheKey, { row: found, fetchedAt });
    }
    return found;
  }

  private async checkRateLimits(row: ServiceKeyRow): Promise<void> {
    if (row.rate_limit_per_minute !== null) await this.limit(row.id, row.rate_limit_per_minute, MINUTE_MS, 'minute');
    if (row.rate_limit_per_hour !== null) await this.limit(row.id, row.rate_limit_per_hour, HOUR_MS, 'hour');
  }

  private async limit(id: string, limit: number, windowMs: number, label: string): Promise<void> {
    const name = `service_key:${id}:${label}`;
    let hit;
    try {
      hit = await this.options.rateLimitStore.hit(name, windowMs);
    } catch (err) {
      // The shared store is down: keep limiting per instance rather than not at all
      // (docs/auth.md "Rate limits per key").
      if (!this.fallbackStore) {
        this.options.logger.warn({ err }, 'rate-limit store unavailable; service key limits fall back to this instance');
        this.fallbackStore = new MemoryRateLimitStore();
      }
      hit = await this.fallbackStore.hit(name, windowMs);
    }
    if (hit.count <= limit) return;
    const retryAfter = Math.max(1, Math.ceil(hit.resetInMs / 1000));
    throw new AppError('RATE_LIMITED', {
      message: `This service key allows ${limit} requests per ${label}; retry in ${retryAfter} seconds`,
      details: { limiter: 'service_key', limit, window_seconds: windowMs / 1000 },
      extra: { retry_after: retryAfter },
      headers: {
        'Retry-After': String(retryAfter),
        'X-RateLimit-Limit': String(limit),
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(retryAfter),
      },
    });
  }

  /** last_used_at is written in the background, at most once per interval per key. */
  private markUsed(id: string): void {
    const now = this.now();
    const last = this.touched.get(id);
    if (last !== undefined && now - last < this.touchInterval) return;
    if (this.touched.size >= this.maxCached) this.touched.clear();
    this.touched.set(id, now);
    this.options.touch(id).catch((err: unknown) => this.options.logger.debug({ err, key_id: id }, 'could not record service key use'));
  }
}
