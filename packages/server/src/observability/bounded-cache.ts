// The one bounded cache of the server (lru-cache underneath): least recently used entries
// go first, and every cache reports its lookups, evictions and size under its name
// (fluxbase_cache_lookups_total{cache,result}, fluxbase_cache_evictions_total{cache},
// fluxbase_cache_entries{cache}) once it is given the app's CacheRegistry. Expiry stays
// with the owner, which knows its clock and its rules (most keep a timestamp per entry).
import { LRUCache } from 'lru-cache';

export interface CacheStats {
  name: string;
  hits: number;
  misses: number;
  evictions: number;
  size: number;
  max: number;
}

/** The caches of one app, read at scrape time by its metrics. */
export class CacheRegistry {
  private readonly caches: BoundedCache<NonNullable<unknown>, NonNullable<unknown>>[] = [];

  add(cache: BoundedCache<never, never>): void {
    this.caches.push(cache as unknown as BoundedCache<NonNullable<unknown>, NonNullable<unknown>>);
  }

  stats(): CacheStats[] {
    return this.caches.map((c) => c.stats());
  }
}

export class BoundedCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>> {
  private readonly lru: LRUCache<K, V>;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  /** `name` labels its metrics (snake_case); `registry` makes them visible (absent in unit tests). */
  constructor(readonly name: string, readonly max: number, registry?: CacheRegistry) {
    this.lru = new LRUCache<K, V>({
      max,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.evictions++;
      },
    });
    registry?.add(this as unknown as BoundedCache<never, never>);
  }

  /** The value, counted as a hit or a miss (`count: false` for a lookup the owner counts itself). */
  get(key: K, options: { count?: boolean } = {}): V | undefined {
    const value = this.lru.get(key);
    if (options.count !== false) this.count(value !== undefined);
    return value;
  }

  /** Record one lookup's outcome (for owners that look under several keys per request). */
  count(hit: boolean): void {
    if (hit) this.hits++;
    else this.misses++;
  }

  set(key: K, value: V): void {
    this.lru.set(key, value);
  }

  delete(key: K): void {
    this.lru.delete(key);
  }

  clear(): void {
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }

  /** Entries, most recently used first (for invalidation by value, e.g. every session of a user). */
  entries(): IterableIterator<[K, V]> {
    return this.lru.entries();
  }

  stats(): CacheStats {
    return { name: this.name, hits: this.hits, misses: this.misses, evictions: this.evictions, size: this.lru.size, max: this.max };
  }
}
