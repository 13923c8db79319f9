// The compiled-statement cache of table reads (rest/read-cache.ts): reads that differ only
// in the values of simple filters share one plan, yet every answer equals the answer of an
// app without the cache, bad values are still refused, request options never share an
// entry, and a schema reload drops what was compiled against the old schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startRestApp, stopRestApp } from './harness/rest-fixture.ts';
import { startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let cached: TestApp;
let uncached: TestApp;

beforeAll(async () => {
  ({ db, app: cached } = await startRestApp({ api: { statement_cache_size: 50 } }));
  uncached = await startTestApp(db.url, { overrides: { api: { statement_cache_size: 0 } } });
});
afterAll(async () => {
  await uncached?.close();
  await stopRestApp(db, cached);
});

/** The body without its request id (errors carry one per request). */
const same = (text: string) => text.replace(/"request_id":"[^"]*"/, '"request_id":"…"');

const lookups = async (app: TestApp): Promise<{ hit: number; miss: number; entries: number }> => {
  const text = await (await app.fetch('/metrics')).text();
  const n = (re: RegExp) => Number(re.exec(text)?.[1] ?? 'NaN');
  return {
    hit: n(/fluxbase_cache_lookups_total\{cache="rest_statements",result="hit"\} (\d+)/),
    miss: n(/fluxbase_cache_lookups_total\{cache="rest_statements",result="miss"\} (\d+)/),
    entries: n(/fluxbase_cache_entries\{cache="rest_statements"\} (\d+)/),
  };
};

describe('read statement cache', () => {
  it('serves a repeated shape from the cache with each request\'s own values', async () => {
    // A schema reload (the other app's start on this database fires the DDL trigger) retires
    // every entry and would add a miss: count over a run in which the snapshot stayed the same
    // (each attempt uses shapes of its own, through its limit).
    for (let attempt = 1; ; attempt++) {
      const snapshot = cached.server.schema.current();
      const before = await lookups(cached);
      const a = await request(cached, 'GET', `/rest/v1/authors?select=id,name&id=eq.1&limit=${attempt}`);
      const b = await request(cached, 'GET', `/rest/v1/authors?select=id,name&id=eq.2&limit=${attempt}`);
      const c = await request(cached, 'GET', `/api/v1/tables/public/authors/3?limit=${attempt}`);
      const d = await request(cached, 'GET', `/api/v1/tables/public/authors/1?limit=${attempt}`);
      expect(a.json).toEqual([{ id: 1, name: 'Ada' }]);
      expect(b.json).toEqual([{ id: 2, name: 'Brian' }]);
      expect(c.json).toEqual({ id: 3, name: 'Cleo', org_id: null, mentor_id: 1 });
      expect(d.json).toEqual({ id: 1, name: 'Ada', org_id: 1, mentor_id: null });
      const after = await lookups(cached);
      if (cached.server.schema.current() !== snapshot && attempt < 5) continue;
      // The first of each shape is planned (a miss), the second comes from the cache (a hit).
      expect(after.miss - before.miss).toBe(2);
      expect(after.hit - before.hit).toBe(2);
      break;
    }
  });

  it('answers exactly as an app without the cache, over repeated shapes with varying values', async () => {
    const paths = [
      '/rest/v1/posts?select=id,title&author_id=eq.1&order=id',
      '/rest/v1/posts?select=id,title&author_id=eq.2&order=id',
      '/rest/v1/posts?select=id,title&author_id=eq.99&order=id',
      '/rest/v1/posts?select=id&id=gt.1&id=lte.3&order=id.desc',
      '/rest/v1/posts?select=id&id=gt.2&id=lte.4&order=id.desc',
      '/rest/v1/posts?select=id&id=gt.3&id=lte.3&order=id.desc',
      '/rest/v1/authors?name=neq.Ada&order=id',
      '/rest/v1/authors?name=neq.Cleo&order=id',
      '/rest/v1/authors?name=eq.Ada&name=eq.Ada',
      '/rest/v1/authors?name=eq.Ada&name=eq.Brian',
      '/rest/v1/authors?select=name,posts!posts_author_id_fkey(id)&id=eq.1',
      '/rest/v1/authors?select=name,posts!posts_author_id_fkey(id)&id=eq.2',
      '/rest/v1/authors?mentor_id=is.null&id=lt.3',
      '/rest/v1/authors?mentor_id=is.null&id=lt.2',
      '/rest/v1/posts?select=id&rating=gte.4.5',
      '/rest/v1/posts?select=id&rating=gte.1',
      '/api/v1/tables/authors?id=eq.1',
      '/api/v1/tables/authors?id=eq.3',
      // Values that need decoding, quoted names and reserved words are not blanked in the raw key.
      '/rest/v1/authors?%22name%22=eq.Ada',
      '/rest/v1/authors?%22name%22=eq.Brian',
      '/rest/v1/authors?name=eq.%41da&id=eq.1',
      '/rest/v1/authors?name=eq.%41da&id=eq.2',
      '/rest/v1/authors?id=eq.1&name=eq.Ada',
      '/rest/v1/authors?id=eq.1&name=eq.Brian',
      '/rest/v1/authors?order=id.desc&id=gt.1',
      '/rest/v1/authors?order=id.asc&id=gt.1',
      '/rest/v1/authors?name=not.eq.Ada&id=gt.1',
      '/rest/v1/authors?name=not.eq.Brian&id=gt.1',
      '/rest/v1/authors?or=(id.eq.1,id.eq.2)&name=eq.Ada',
      '/rest/v1/authors?or=(id.eq.1,id.eq.3)&name=eq.Ada',
      // An array column's value is not a parameter of its own: never substituted.
      '/rest/v1/posts?select=id&tags=eq.%7Bdb%7D&title=eq.x',
      '/rest/v1/posts?select=id&tags=eq.%7Bweb%7D&title=eq.x',
      '/rest/v1/posts?select=id,title&title=eq.Hello%20world',
      '/rest/v1/posts?select=id,title&title=eq.Hello',
      // By id, with and without a query of its own.
      '/api/v1/tables/public/authors/2?select=name',
      '/api/v1/tables/public/authors/3?select=name',
      '/api/v1/tables/public/authors/3?select=name&name=eq.Cleo',
      '/api/v1/tables/public/authors/3?select=name&name=eq.Ada',
      '/api/v1/tables/public/authors/9',
    ];
    for (const path of paths) {
      for (const headers of [{}, { Accept: 'text/csv' }, { Range: '0-0' }, { Prefer: 'count=exact' }] as Record<string, string>[]) {
        const [x, y] = await Promise.all([request(cached, 'GET', path, undefined, headers), request(uncached, 'GET', path, undefined, headers)]);
        expect({ status: x.status, body: same(x.text), range: x.res.headers.get('content-range') }, `${path} ${JSON.stringify(headers)}`)
          .toEqual({ status: y.status, body: same(y.text), range: y.res.headers.get('content-range') });
      }
    }
  });

  it('answers a POST …/query body exactly as without the cache', async () => {
    for (const body of [
      { select: 'id,name', filters: [{ column: 'id', operator: 'eq', value: '1' }] },
      { select: 'id,name', filters: [{ column: 'id', operator: 'eq', value: '2' }] },
    ]) {
      const [x, y] = await Promise.all([request(cached, 'POST', '/api/v1/tables/authors/query', body), request(uncached, 'POST', '/api/v1/tables/authors/query', body)]);
      expect({ status: x.status, body: same(x.text) }).toEqual({ status: y.status, body: same(y.text) });
    }
  });

  it('still refuses a value its column cannot hold when the shape is cached', async () => {
    expect((await request(cached, 'GET', '/rest/v1/authors?id=eq.1')).status).toBe(200);
    const bad = await request(cached, 'GET', '/rest/v1/authors?id=eq.abc');
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('22P02');
    const flux = await request(cached, 'GET', '/api/v1/tables/authors?id=eq.abc');
    expect(flux.status).toBe(400);
    expect(flux.json.code).toBe('INVALID_INPUT');
  });

  it('keeps HEAD, CSV, stripped nulls and ranges apart', async () => {
    const path = '/rest/v1/authors?select=id,org_id&id=eq.3';
    const json = await request(cached, 'GET', path);
    const head = await request(cached, 'HEAD', path);
    const csv = await request(cached, 'GET', path, undefined, { Accept: 'text/csv' });
    const stripped = await request(cached, 'GET', path, undefined, { Accept: 'application/vnd.pgrst.array+json;nulls=stripped' });
    const ranged = await request(cached, 'GET', '/rest/v1/authors?select=id,org_id&id=gt.0&order=id', undefined, { Range: '1-1' });
    const full = await request(cached, 'GET', '/rest/v1/authors?select=id,org_id&id=gt.0&order=id');
    expect(json.json).toEqual([{ id: 3, org_id: null }]);
    expect(head.text).toBe('');
    expect(csv.text).toBe('id,org_id\n3,');
    expect(stripped.json).toEqual([{ id: 3 }]);
    expect(ranged.json).toEqual([{ id: 2, org_id: 2 }]);
    expect(full.json).toHaveLength(3);
  });

  it('drops compiled reads when the schema reloads', async () => {
    const path = '/rest/v1/orgs?id=eq.1';
    expect((await request(cached, 'GET', path)).json).toEqual([{ id: 1, name: 'Acme' }]);
    await db.sql.unsafe('alter table public.orgs add column city text');
    try {
      await cached.server.schema.reload();
      expect((await request(cached, 'GET', path)).json).toEqual([{ id: 1, name: 'Acme', city: null }]);
    } finally {
      await db.sql.unsafe('alter table public.orgs drop column city');
      await cached.server.schema.reload();
    }
  });

  it('stays within its size and counts what it holds', async () => {
    for (let i = 0; i < 60; i++) await request(cached, 'GET', `/rest/v1/authors?select=id,name&limit=${i + 1}&id=eq.1`);
    const stats = await lookups(cached);
    expect(stats.entries).toBe(50);
    expect((await lookups(uncached)).entries).toBeNaN(); // no statement cache at all with size 0
  });

  it('is one of the bounded caches every app reports in /metrics', async () => {
    const text = await (await cached.fetch('/metrics')).text();
    for (const name of ['rest_statements', 'jwt_principals', 'session_liveness', 'service_keys', 'oidc_discovery', 'oidc_jwks']) {
      expect(text, name).toMatch(new RegExp(`fluxbase_cache_entries\\{cache="${name}"\\} \\d+`));
    }
  });
});
