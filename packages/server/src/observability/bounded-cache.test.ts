import { describe, expect, it } from 'vitest';
import { BoundedCache, CacheRegistry } from './bounded-cache.ts';
import { createMetrics } from './metrics.ts';

describe('BoundedCache', () => {
  it('drops the least recently used entry first, and counts the eviction', () => {
    const cache = new BoundedCache<string, number>('t', 2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now more recent than b
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.stats()).toEqual({ name: 't', hits: 3, misses: 1, evictions: 1, size: 2, max: 2 });
  });

  it('counts a lookup only once when its owner counts it (count: false, then count())', () => {
    const cache = new BoundedCache<string, number>('t', 10);
    cache.set('a', 1);
    cache.get('a', { count: false });
    cache.get('x', { count: false });
    cache.count(true);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 0 });
  });

  it('deletes, clears and lists entries; a deletion is not an eviction', () => {
    const cache = new BoundedCache<string, number>('t', 10);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.delete('a');
    expect([...cache.entries()]).toEqual([['b', 2]]);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.stats().evictions).toBe(0);
  });

  it('reports every registered cache in the app\'s metrics', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const a = new BoundedCache<string, number>('alpha', 1, metrics.caches);
    new BoundedCache<string, number>('beta', 5, metrics.caches);
    a.set('x', 1);
    a.set('y', 2);
    a.get('y');
    a.get('x');
    const text = await metrics.registry.metrics();
    expect(text).toContain('fluxbase_cache_lookups_total{cache="alpha",result="hit"} 1');
    expect(text).toContain('fluxbase_cache_lookups_total{cache="alpha",result="miss"} 1');
    expect(text).toContain('fluxbase_cache_evictions_total{cache="alpha"} 1');
    expect(text).toContain('fluxbase_cache_entries{cache="alpha"} 1');
    expect(text).toContain('fluxbase_cache_entries{cache="beta"} 0');
    expect(new CacheRegistry().stats()).toEqual([]);
  });
});
