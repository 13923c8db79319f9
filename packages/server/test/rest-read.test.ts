// REST reads on both mounts against a real database: select forms, embeds in every
// direction, every filter family, logic trees, order, ranges and counts, single-object
// and CSV representations, cursor pagination (seed 2.7) and ETags (seed 4.2).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startRestApp, stopRestApp } from './harness/rest-fixture.ts';
import { startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  ({ db, app } = await startRestApp());
});
afterAll(() => stopRestApp(db, app));

const get = (path: string, headers: Record<string, string> = {}) => request(app, 'GET', path, undefined, headers);

const ids = (rows: { id: number }[]) => rows.map((r) => r.id);

describe('select', () => {
  it('returns all columns in column order by default, on both mounts', async () => {
    for (const path of ['/rest/v1/authors?order=id', '/api/v1/tables/authors?order=id', '/api/v1/tables/public/authors?order=id']) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.json).toEqual([
        { id: 1, name: 'Ada', org_id: 1, mentor_id: null },
        { id: 2, name: 'Brian', org_id: 2, mentor_id: 1 },
        { id: 3, name: 'Cleo', org_id: null, mentor_id: 1 },
      ]);
      expect(Object.keys(r.json[0])).toEqual(['id', 'name', 'org_id', 'mentor_id']);
    }
  });

  it('renames, casts and follows JSON paths, keeping select order', async () => {
    const r = await get('/rest/v1/posts?select=title,n:id,r:rating::text,lang:meta->>lang,views:meta->views&id=eq.1');
    expect(r.json).toEqual([{ title: 'Hello world', n: 1, r: '4.5', lang: 'en', views: 10 }]);
    expect(Object.keys(r.json[0])).toEqual(['title', 'n', 'r', 'lang', 'views']);
  });

  it('embeds to-one, to-many, self-referencing, one-to-one and many-to-many resources', async () => {
    const r = await get('/rest/v1/posts?select=id,author:authors!posts_author_id_fkey(name,org:orgs(name)),tags(label),post_tags(tag_id)&id=eq.1');
    expect(r.status).toBe(200);
    expect(r.json).toEqual([{ id: 1, author: { name: 'Ada', org: { name: 'Acme' } }, tags: [{ label: 'db' }, { label: 'web' }], post_tags: [{ tag_id: 1 }, { tag_id: 2 }] }]);
    const a = await get('/rest/v1/authors?select=name,mentor:mentor_id(name),profiles(bio),posts!posts_author_id_fkey(id)&order=id');
    expect(a.json).toEqual([
      { name: 'Ada', mentor: null, profiles: { bio: 'Mathematician' }, posts: [{ id: 1 }, { id: 2 }] },
      { name: 'Brian', mentor: { name: 'Ada' }, profiles: { bio: 'Writer' }, posts: [{ id: 3 }] },
      { name: 'Cleo', mentor: { name: 'Ada' }, profiles: null, posts: [{ id: 4 }] },
    ]);
  });

  it('asks for a hint when two foreign keys join the same tables', async () => {
    const r = await get('/rest/v1/posts?select=id,authors(name)');
    expect(r.status).toBe(300);
    expect(r.json.code).toBe('PGRST201');
    expect(r.json.hint).toMatch(/authors!posts_author_id_fkey/);
    const f = await get('/api/v1/tables/posts?select=id,authors(name)');
    expect(f.json.code).toBe('AMBIGUOUS_RELATIONSHIP');
  });

  it('supports !inner, embedded filters, spread and filtering parents by embeds', async () => {
    const inner = await get('/rest/v1/authors?select=name,posts!posts_author_id_fkey!inner(title)&posts.published=eq.false');
    expect(inner.json).toEqual([{ name: 'Brian', posts: [{ title: 'Web things' }] }]);
    const left = await get('/rest/v1/authors?select=name,posts!posts_author_id_fkey(title)&posts.published=eq.false&order=id');
    expect(left.json.map((a: { posts: unknown[] }) => a.posts.length)).toEqual([0, 1, 0]);
    const spread = await get('/rest/v1/posts?select=title,...authors!posts_author_id_fkey(author_name:name)&id=eq.3');
    expect(spread.json).toEqual([{ title: 'Web things', author_name: 'Brian' }]);
    const hasProfile = await get('/rest/v1/authors?select=name,profiles(bio)&profiles=not.is.null&order=id');
    expect(hasProfile.json.map((a: { name: string }) => a.name)).toEqual(['Ada', 'Brian']);
    const noProfile = await get('/rest/v1/authors?select=name,profiles(bio)&profiles=is.null');
    expect(noProfile.json).toEqual([{ name: 'Cleo', profiles: null }]);
  });

  it('orders and limits inside embeds and orders parents by a to-one embed', async () => {
    const r = await get('/rest/v1/authors?select=name,posts!posts_author_id_fkey(id)&posts.order=id.desc&posts.limit=1&id=eq.1');
    expect(r.json).toEqual([{ name: 'Ada', posts: [{ id: 2 }] }]);
    const o = await get('/rest/v1/posts?select=id,authors!posts_author_id_fkey(name)&order=authors(name).desc');
    expect(ids(o.json).slice(0, 2)).toEqual([4, 3]);
    expect(ids(o.json).slice(2).sort()).toEqual([1, 2]);
  });

  it('computes aggregates with implicit grouping', async () => {
    const r = await get('/rest/v1/posts?select=author_id,count(),rating.sum()&order=author_id');
    expect(r.json).toEqual([{ author_id: 1, count: 2, sum: 7.5 }, { author_id: 2, count: 1, sum: null }, { author_id: 3, count: 1, sum: 1.5 }]);
    const sdk = await get('/api/v1/tables/posts?select=count(*)');
    expect(sdk.json).toEqual([{ count: 4 }]);
  });
});

describe('filters', () => {
  const cases: [string, number[]][] = [
    ['id=eq.1', [1]],
    ['id=neq.1', [2, 3, 4]],
    ['id=gt.2', [3, 4]],
    ['id=gte.2&id=lte.3', [2, 3]],
    ['id=lt.2', [1]],
    ['title=like.*world', [1]],
    ['title=ilike.%25THOUGHTS%25', [2]],
    ['title=match.^W', [3]],
    ['title=imatch.^z', [4]],
    ['id=in.(1,3)', [1, 3]],
    ['id=not.in.(1,3)', [2, 4]],
    ['body=is.null', [4]],
    ['body=not.is.null', [1, 2, 3]],
    ['published=is.true', [1, 2, 4]],
    ['published=is.false', [3]],
    ['published=not.is.unknown', [1, 2, 3, 4]],
    ['rating=isdistinct.4.5', [2, 3, 4]],
    ['search=fts(english).databases', [1]],
    ['body=plfts.postgres sql', [2]],
    ['body=phfts(english).first post', [1]],
    ['body=wfts(english).frontend or postgres', [2, 3]],
    ['tags=cs.{db}', [1, 2]],
    ['tags=cd.{db,intro}', [1, 2, 4]],
    ['tags=ov.{web,intro}', [1, 3]],
    ['meta=cs.{"lang":"fr"}', [3]],
    ['during=sl.[20,30)', [1, 2, 3]],
    ['during=sr.[0,4)', [2, 3]],
    ['during=nxr.[1,10)', [1, 2]],
    ['during=nxl.[5,100)', [2, 3]],
    ['during=adj.[20,30)', [3]],
    ['title=like(any).{Hello*,Zeb*}', [1, 4]],
    ['title=like(all).{*o*,*d*}', [1, 2]],
    ['id=eq(any).{2,3}', [2, 3]],
    ['meta->>lang=eq.en', [1, 2]],
    ['meta->views=gt.5', [1, 3]],
    ['mood=eq.happy', [1]],
    ['or=(id.eq.1,id.eq.4)', [1, 4]],
    ['or=(id.eq.1,id.eq.2)&or=(id.eq.2,id.eq.3)', [2]],
    ['and=(published.is.true,or(rating.gt.4,rating.lt.2))', [1, 4]],
    ['not.or=(id.eq.1,id.eq.2)', [3, 4]],
    ['or=(and(author_id.eq.1,rating.lt.4),not.and(id.lt.4,id.gt.0))', [2, 4]],
    ['title=eq.Web things', [3]],
    ['body=like.*commas, and dots.', [3]],
  ];
  for (const [query, expected] of cases) {
    it(`${query} → ${JSON.stringify(expected)}`, async () => {
      const r = await get(`/rest/v1/posts?select=id&order=id&${query.replaceAll(' ', '%20')}`);
      expect(r.status, r.text).toBe(200);
      expect(ids(r.json)).toEqual(expected);
    });
  }
});

describe('order, ranges and counts', () => {
  it('orders with direction and null placement', async () => {
    expect(ids((await get('/rest/v1/posts?select=id&order=rating.desc.nullslast')).json)).toEqual([1, 2, 4, 3]);
    expect(ids((await get('/rest/v1/posts?select=id&order=rating.asc.nullsfirst')).json)).toEqual([3, 4, 2, 1]);
    expect(ids((await get('/rest/v1/posts?select=id&order=published.desc,id.desc')).json)).toEqual([4, 2, 1, 3]);
  });

  it('pages with limit/offset and Range, and reports Content-Range with counts', async () => {
    const r = await get('/rest/v1/posts?select=id&order=id&limit=2&offset=1', { Prefer: 'count=exact' });
    expect(r.status).toBe(206);
    expect(ids(r.json)).toEqual([2, 3]);
    expect(r.res.headers.get('content-range')).toBe('1-2/4');
    expect(r.res.headers.get('preference-applied')).toBe('count=exact');
    const range = await get('/rest/v1/posts?select=id&order=id', { Range: '0-0' });
    expect(ids(range.json)).toEqual([1]);
    expect(range.res.headers.get('content-range')).toBe('0-0/*');
    const all = await get('/api/v1/tables/posts?select=id&count=exact');
    expect(all.status).toBe(200);
    expect(all.res.headers.get('content-range')).toBe('0-3/4');
    const none = await get('/rest/v1/posts?select=id&id=eq.99', { Prefer: 'count=exact' });
    expect(none.res.headers.get('content-range')).toBe('*/0');
    const planned = await get('/rest/v1/posts?select=id', { Prefer: 'count=planned' });
    expect(planned.res.headers.get('content-range')).toMatch(/^0-3\/\d+$/);
    const estimated = await get('/rest/v1/posts?select=id', { Prefer: 'count=estimated' });
    expect(estimated.res.headers.get('content-range')).toBe('0-3/4');
  });

  it('answers 416 past the end with a count, and for a bad Range', async () => {
    const r = await get('/rest/v1/posts?offset=10', { Prefer: 'count=exact' });
    expect(r.status).toBe(416);
    expect(r.json.code).toBe('PGRST103');
    expect((await get('/rest/v1/posts', { Range: '5-2' })).status).toBe(416);
    expect((await get('/rest/v1/posts', { Range: 'abc' })).status).toBe(416);
  });

  it('caps limits at api.max_page_size', async () => {
    const capped = await startTestApp(db.url, { overrides: { api: { max_page_size: 2 } } });
    try {
      const r = await capped.fetch('/rest/v1/posts?select=id&limit=100');
      expect(((await r.json()) as unknown[]).length).toBe(2);
    } finally {
      await capped.close();
    }
  });

  it('HEAD returns headers only', async () => {
    const r = await app.fetch('/rest/v1/posts?select=id', { method: 'HEAD', headers: { Prefer: 'count=exact' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-range')).toBe('0-3/4');
    expect(await r.text()).toBe('');
  });
});

describe('representations', () => {
  it('returns one object for vnd.pgrst.object+json, 406 otherwise', async () => {
    const one = await get('/rest/v1/authors?id=eq.1&select=name', { Accept: 'application/vnd.pgrst.object+json' });
    expect(one.status).toBe(200);
    expect(one.json).toEqual({ name: 'Ada' });
    const many = await get('/rest/v1/authors', { Accept: 'application/vnd.pgrst.object+json' });
    expect(many.status).toBe(406);
    expect(many.json.code).toBe('PGRST116');
    const zero = await get('/api/v1/tables/authors?id=eq.9', { Accept: 'application/vnd.pgrst.object+json' });
    expect(zero.status).toBe(406);
    expect(zero.json.code).toBe('SINGLE_OBJECT_EXPECTED');
  });

  it('renders CSV with a header row', async () => {
    const r = await get('/rest/v1/posts?select=id,title,tags&order=id&limit=3', { Accept: 'text/csv' });
    expect(r.res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.text).toBe('id,title,tags\n1,"Hello world","{db,intro}"\n2,"Second thoughts",{db}\n3,"Web things",{web}');
  });

  it('refuses an Accept it cannot produce', async () => {
    const r = await get('/rest/v1/posts', { Accept: 'application/xml' });
    expect(r.status).toBe(406);
    expect(r.json.code).toBe('PGRST107');
  });

  it('reads by id on /api/v1 and answers 404 for a miss', async () => {
    const r = await get('/api/v1/tables/public/authors/2?select=name');
    expect(r.json).toEqual({ name: 'Brian' });
    const miss = await get('/api/v1/tables/public/authors/99');
    expect(miss.status).toBe(404);
    expect(miss.json.code).toBe('NOT_FOUND');
    expect(miss.json.message).toBe('No row in public.authors with id = 99');
  });

  it('a by-id read is the object, whatever Accept says; its key filter joins the query\'s own filters', async () => {
    const csv = await get('/api/v1/tables/public/authors/2?select=name', { Accept: 'text/csv' });
    expect(csv.status).toBe(200);
    expect(csv.json).toEqual({ name: 'Brian' });
    // The key filter is ANDed with the query's: a row that fails the other filter is absent.
    expect((await get('/api/v1/tables/public/authors/2?name=eq.Brian&select=id')).json).toEqual({ id: 2 });
    const filtered = await get('/api/v1/tables/public/authors/2?name=eq.Nobody');
    expect(filtered.status).toBe(404);
    expect(filtered.json.code).toBe('NOT_FOUND');
    // HEAD answers what GET would, without the body.
    expect((await request(app, 'HEAD', '/api/v1/tables/public/authors/2')).status).toBe(200);
    expect((await request(app, 'HEAD', '/api/v1/tables/public/authors/99')).status).toBe(404);
  });

  it('compresses large bodies when asked, with the ETag of the uncompressed body', async () => {
    const plain = await app.fetch('/rest/v1/posts', { headers: { 'Accept-Encoding': 'identity' } });
    const gz = await app.fetch('/rest/v1/posts', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(await gz.text()).toBe(await plain.text());
    expect(gz.headers.get('etag')).toBe(plain.headers.get('etag'));
    expect(plain.headers.get('server-timing')).toMatch(/parse;dur=.*plan;dur=.*execute;dur=.*render;dur=/);
  });
});

describe('ETag (seed 4.2)', () => {
  it('sends a weak SHA-256 ETag and answers If-None-Match with 304', async () => {
    const first = await get('/api/v1/tables/authors?order=id');
    const tag = first.res.headers.get('etag')!;
    expect(tag).toMatch(/^W\/"[0-9a-f]{32}"$/);
    const { createHash } = await import('node:crypto');
    expect(tag).toBe(`W/"${createHash('sha256').update(first.text).digest('hex').slice(0, 32)}"`);
    for (const inm of [tag, tag.slice(2), `W/"0000", ${tag}`, '*']) {
      const again = await app.fetch('/api/v1/tables/authors?order=id', { headers: { 'If-None-Match': inm } });
      expect(again.status, inm).toBe(304);
      expect(await again.text()).toBe('');
      expect(again.headers.get('etag')).toBe(tag);
    }
    const other = await app.fetch('/api/v1/tables/authors?order=id', { headers: { 'If-None-Match': 'W/"0000"' } });
    expect(other.status).toBe(200);
  });
});

describe('cursor pagination (seed 2.7)', () => {
  it('walks a table page by page with X-Next-Cursor, stable under concurrent inserts', async () => {
    await db.sql`create table public.events (id int primary key, grp int not null)`;
    await db.sql`grant select, insert on public.events to anon, authenticated, service_role`;
    await db.sql`insert into public.events select g, g % 3 from generate_series(1, 25) g`;
    await app.server.schema.reload();
    const seen: number[] = [];
    let url = '/rest/v1/events?select=id,grp&cursor_column=grp&limit=10';
    let pages = 0;
    for (;;) {
      const r = await get(url);
      expect(r.status, r.text).toBe(200);
      seen.push(...ids(r.json));
      pages++;
      // A concurrent insert sorting before the cursor must not shift later pages.
      if (pages === 1) await db.sql`insert into public.events values (100, 0)`;
      const next = r.res.headers.get('x-next-cursor');
      if (!next) break;
      expect(next).toMatch(/^[A-Za-z0-9_-]+$/);
      url = `/rest/v1/events?select=id,grp&cursor=${next}&limit=10`;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    const desc = await get('/api/v1/tables/events?select=id&cursor_column=id&order=id.desc&limit=2');
    expect(ids(desc.json)).toEqual([100, 25]);
    const next = desc.res.headers.get('x-next-cursor')!;
    expect(ids((await get(`/api/v1/tables/events?select=id&cursor=${next}&limit=2`)).json)).toEqual([24, 23]);
  });

  it('refuses bad cursors', async () => {
    expect((await get('/rest/v1/events?cursor=!!!')).json.code).toBe('PGRST100');
    expect((await get('/api/v1/tables/events?cursor=eyJhIjoxfQ')).json.code).toBe('INVALID_CURSOR');
    expect((await get('/api/v1/tables/events?cursor_column=nope')).json.code).toBe('UNKNOWN_COLUMN');
    const c = Buffer.from(JSON.stringify({ c: 'id', v: 1, d: false, k: [] })).toString('base64url');
    expect((await get(`/api/v1/tables/events?cursor=${c}&offset=5`)).json.code).toBe('INVALID_CURSOR');
  });
});

describe('extras', () => {
  it('strips null-valued keys for nulls=stripped', async () => {
    const r = await get('/rest/v1/authors?id=eq.1', { Accept: 'application/vnd.pgrst.array+json;nulls=stripped' });
    expect(r.json).toEqual([{ id: 1, name: 'Ada', org_id: 1 }]);
  });

  it('describes the exposed schema as OpenAPI at /rest/v1/ for admins only', async () => {
    expect((await get('/rest/v1/')).status).toBe(401);
    expect((await get('/rest/v1/', { Authorization: `Bearer ${app.userToken('33333333-3333-4333-8333-333333333333')}` })).status).toBe(403);
    const r = await get('/rest/v1/', { Authorization: `Bearer ${app.keys.service_role}` });
    expect(r.status).toBe(200);
    expect(r.json.openapi).toBe('3.0.3');
    expect(Object.keys(r.json.paths)).toEqual(expect.arrayContaining(['/posts', '/authors', '/rpc/add']));
    expect(r.json.paths['/post_stats'].post).toBeUndefined();
    expect(r.json.components.schemas.tags.properties.label).toMatchObject({ type: 'string', format: 'text' });
  });
});
