// @supabase/postgrest-js, unchanged, against the /rest/v1 mount: reads. Ports the spirit of
// postgrest-js's own suite (basic, filters, transforms, resource-embedding) onto the REST
// fixture: select with counts and head, every filter method, order/limit/range (also on
// embeds), single/maybeSingle, CSV, abort, and embeds in every direction. Writes, RPC,
// schema switching, RLS and errors are in postgrest-js-write.test.ts.
import { PostgrestClient } from '@supabase/postgrest-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRestFixture } from './harness/rest-fixture.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;
let pg: PostgrestClient;

beforeAll(async () => {
  db = await createTestDatabase();
  await applyRestFixture(db.sql);
  // Planner statistics, so `count: 'planned'` has a known answer on these tiny tables.
  await db.sql.unsafe('analyze public.posts; analyze public.authors');
  app = await startTestApp(db.url);
  pg = new PostgrestClient(`${app.url}/rest/v1`, { headers: { apikey: app.keys.anon, Authorization: `Bearer ${app.keys.anon}` } });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const ids = (data: unknown): number[] => (data as { id: number }[] | null ?? []).map((r) => r.id);

const postsQuery = () => pg.from('posts').select('id').order('id');
type PostsQuery = ReturnType<typeof postsQuery>;

/** Ids of posts matching the filters a callback applies, ascending. */
async function postIds(apply: (q: PostsQuery) => PostsQuery): Promise<number[]> {
  const res = await apply(postsQuery());
  expect(res.error).toBeNull();
  expect(res.status).toBe(200);
  return ids(res.data);
}

describe('select, count and head', () => {
  it('returns every row and column with status 200 and no count', async () => {
    const res = await pg.from('authors').select().order('id');
    expect(res).toEqual({
      success: true,
      error: null,
      data: [
        { id: 1, name: 'Ada', org_id: 1, mentor_id: null },
        { id: 2, name: 'Brian', org_id: 2, mentor_id: 1 },
        { id: 3, name: 'Cleo', org_id: null, mentor_id: 1 },
      ],
      count: null,
      status: 200,
      statusText: 'OK',
    });
  });

  it('renames, casts and reads JSON paths', async () => {
    const res = await pg.from('posts').select('n:id, title, rating::text, lang:meta->>lang, views:meta->views').eq('id', 1);
    expect(res.data).toEqual([{ n: 1, title: 'Hello world', rating: '4.5', lang: 'en', views: 10 }]);
  });

  it("counts exactly: the whole set (200) and a page of it (206)", async () => {
    const all = await pg.from('posts').select('id', { count: 'exact' }).order('id');
    expect(all.count).toBe(4);
    expect(all.status).toBe(200);
    const page = await pg.from('posts').select('id', { count: 'exact' }).order('id').limit(2);
    expect(page.data).toEqual([{ id: 1 }, { id: 2 }]);
    expect(page.count).toBe(4);
    expect(page.status).toBe(206);
  });

  it("counts with 'planned' (planner statistics) and 'estimated' (exact under the threshold)", async () => {
    const planned = await pg.from('posts').select('id', { count: 'planned' });
    expect(planned.error).toBeNull();
    expect(planned.count).toBe(4);
    const estimated = await pg.from('posts').select('id', { count: 'estimated' }).eq('author_id', 1);
    expect(estimated.error).toBeNull();
    expect(estimated.count).toBe(2);
  });

  it('answers head requests with the count and no data', async () => {
    const res = await pg.from('posts').select('*', { count: 'exact', head: true }).eq('published', true);
    expect(res).toMatchObject({ error: null, data: null, count: 3, status: 200 });
  });

  it('reads views', async () => {
    const titles = await pg.from('post_titles').select('id, title').lte('id', 2).order('id');
    expect(titles.data).toEqual([{ id: 1, title: 'Hello world' }, { id: 2, title: 'Second thoughts' }]);
    const stats = await pg.from('post_stats').select('author_id, n').order('author_id');
    expect(stats.data).toEqual([{ author_id: 1, n: 2 }, { author_id: 2, n: 1 }, { author_id: 3, n: 1 }]);
  });

  it('aggregates with grouping by the other selected columns', async () => {
    const byAuthor = await pg.from('posts').select('author_id, count()').order('author_id');
    expect(byAuthor.data).toEqual([{ author_id: 1, count: 2 }, { author_id: 2, count: 1 }, { author_id: 3, count: 1 }]);
    const total = await pg.from('posts').select('rating.sum(), rating.max()');
    expect(total.data).toEqual([{ sum: 9, max: 4.5 }]);
  });
});

describe('filters', () => {
  it('eq, neq, gt, gte, lt, lte', async () => {
    expect(await postIds((q) => q.eq('author_id', 1))).toEqual([1, 2]);
    expect(await postIds((q) => q.neq('author_id', 1))).toEqual([3, 4]);
    expect(await postIds((q) => q.gt('rating', 3))).toEqual([1]);
    expect(await postIds((q) => q.gte('rating', 3))).toEqual([1, 2]);
    expect(await postIds((q) => q.lt('rating', 3))).toEqual([4]);
    expect(await postIds((q) => q.lte('rating', 3))).toEqual([2, 4]);
  });

  it('like and ilike, with % or * as the wildcard', async () => {
    expect(await postIds((q) => q.like('title', '%o%'))).toEqual([1, 2]);
    expect(await postIds((q) => q.like('title', '*th*'))).toEqual([2, 3]);
    expect(await postIds((q) => q.like('title', 'h%'))).toEqual([]);
    expect(await postIds((q) => q.ilike('title', 'h%'))).toEqual([1]);
  });

  it('likeAllOf, likeAnyOf, ilikeAllOf, ilikeAnyOf', async () => {
    expect(await postIds((q) => q.likeAllOf('title', ['%o%', '%w%']))).toEqual([1]);
    expect(await postIds((q) => q.likeAnyOf('title', ['Z%', 'W%']))).toEqual([3, 4]);
    expect(await postIds((q) => q.ilikeAllOf('title', ['%O%', '%D%']))).toEqual([1, 2]);
    expect(await postIds((q) => q.ilikeAnyOf('title', ['z%', '%THINGS']))).toEqual([3, 4]);
  });

  it('regexMatch and regexIMatch', async () => {
    expect(await postIds((q) => q.regexMatch('title', '^[HZ]'))).toEqual([1, 4]);
    expect(await postIds((q) => q.regexIMatch('title', '^h'))).toEqual([1]);
  });

  it('is null / true / false, and isDistinct', async () => {
    expect(await postIds((q) => q.is('rating', null))).toEqual([3]);
    expect(await postIds((q) => q.is('published', true))).toEqual([1, 2, 4]);
    expect(await postIds((q) => q.is('published', false))).toEqual([3]);
    expect(await postIds((q) => q.isDistinct('editor_id', 2))).toEqual([2, 3, 4]);
  });

  it('in and notIn, quoting values that hold commas', async () => {
    expect(await postIds((q) => q.in('id', [1, 3]))).toEqual([1, 3]);
    expect(await postIds((q) => q.in('title', ['Web things', 'Zebra']))).toEqual([3, 4]);
    expect(await postIds((q) => q.in('body', ['Frontend stuff with commas, and dots.']))).toEqual([3]);
    expect(await postIds((q) => q.notIn('id', [1, 2]))).toEqual([3, 4]);
  });

  it('contains and containedBy on arrays, jsonb and ranges', async () => {
    expect(await postIds((q) => q.contains('tags', ['db']))).toEqual([1, 2]);
    expect(await postIds((q) => q.contains('meta', { lang: 'fr' }))).toEqual([3]);
    expect(await postIds((q) => q.contains('during', '[2,3]'))).toEqual([1]);
    expect(await postIds((q) => q.containedBy('tags', ['db', 'intro', 'x']))).toEqual([1, 2, 4]);
    expect(await postIds((q) => q.containedBy('meta', { views: 3, lang: 'en', x: 1 }))).toEqual([2]);
  });

  it('overlaps on arrays and ranges', async () => {
    expect(await postIds((q) => q.overlaps('tags', ['web', 'intro']))).toEqual([1, 3]);
    expect(await postIds((q) => q.overlaps('during', '[4,6)'))).toEqual([1, 2]);
  });

  it('rangeGt, rangeGte, rangeLt, rangeLte, rangeAdjacent', async () => {
    expect(await postIds((q) => q.rangeGt('during', '[1,5)'))).toEqual([2, 3]);
    expect(await postIds((q) => q.rangeGte('during', '[5,10)'))).toEqual([2, 3]);
    expect(await postIds((q) => q.rangeLt('during', '[10,20)'))).toEqual([1, 2]);
    expect(await postIds((q) => q.rangeLte('during', '[1,6)'))).toEqual([1]);
    expect(await postIds((q) => q.rangeAdjacent('during', '[5,10)'))).toEqual([1, 3]);
  });

  it('textSearch with a config and each query type', async () => {
    expect(await postIds((q) => q.textSearch('search', "'postgres' & 'sql'", { config: 'english' }))).toEqual([2]);
    expect(await postIds((q) => q.textSearch('search', 'first posts', { config: 'english', type: 'plain' }))).toEqual([1]);
    expect(await postIds((q) => q.textSearch('search', 'hello world', { config: 'english', type: 'phrase' }))).toEqual([1]);
    expect(await postIds((q) => q.textSearch('search', 'world hello', { config: 'english', type: 'phrase' }))).toEqual([]);
    expect(await postIds((q) => q.textSearch('search', 'web or zebra', { config: 'english', type: 'websearch' }))).toEqual([3, 4]);
    expect(await postIds((q) => q.textSearch('search', 'postgres -hello', { config: 'english', type: 'websearch' }))).toEqual([2]);
  });

  it('match, not and filter', async () => {
    expect(await postIds((q) => q.match({ author_id: 1, published: true }))).toEqual([1, 2]);
    expect(await postIds((q) => q.not('author_id', 'eq', 1))).toEqual([3, 4]);
    expect(await postIds((q) => q.not('rating', 'is', null))).toEqual([1, 2, 4]);
    expect(await postIds((q) => q.not('tags', 'cs', '{db}'))).toEqual([3, 4]);
    expect(await postIds((q) => q.not('id', 'in', '(1,2)'))).toEqual([3, 4]);
    expect(await postIds((q) => q.filter('title', 'in', '("Web things",Zebra)'))).toEqual([3, 4]);
    expect(await postIds((q) => q.filter('author_id', 'eq', 2))).toEqual([3]);
  });

  it('filters JSON paths', async () => {
    expect(await postIds((q) => q.eq('meta->>lang', 'fr'))).toEqual([3]);
    expect(await postIds((q) => q.eq('meta->>lang', 'en').neq('meta->>views', '3'))).toEqual([1]);
  });

  it('or, with nested and(), and several or() calls ANDed', async () => {
    expect(await postIds((q) => q.or('author_id.eq.2,rating.gt.4'))).toEqual([1, 3]);
    expect(await postIds((q) => q.or('and(author_id.eq.1,rating.lt.4),title.eq.Zebra'))).toEqual([2, 4]);
    expect(await postIds((q) => q.or('id.eq.1,id.eq.2,id.eq.3').or('author_id.eq.2,rating.gt.4'))).toEqual([1, 3]);
    expect(await postIds((q) => q.or('title.in.("Web things",Zebra),tags.cs.{intro}'))).toEqual([1, 3, 4]);
  });

  it('or on a referenced table filters the embedded rows', async () => {
    const res = await pg.from('authors')
      .select('id, posts!posts_author_id_fkey(id)')
      .or('id.eq.1,id.eq.4', { referencedTable: 'posts' })
      .order('id');
    expect(res.data).toEqual([{ id: 1, posts: [{ id: 1 }] }, { id: 2, posts: [] }, { id: 3, posts: [{ id: 4 }] }]);
  });

  it('combines many filters (AND)', async () => {
    expect(await postIds((q) => q.eq('published', true).contains('tags', ['db']).gt('rating', 3).ilike('body', '%databases%'))).toEqual([1]);
  });
});

describe('order, limit, range', () => {
  it('orders descending with PostgreSQL null placement, and nullsFirst either way', async () => {
    const order = async (ascending: boolean, nullsFirst?: boolean) => {
      const res = await pg.from('posts').select('id').order('rating', nullsFirst === undefined ? { ascending } : { ascending, nullsFirst });
      return ids(res.data);
    };
    expect(await order(false)).toEqual([3, 1, 2, 4]);
    expect(await order(false, false)).toEqual([1, 2, 4, 3]);
    expect(await order(true)).toEqual([4, 2, 1, 3]);
    expect(await order(true, true)).toEqual([3, 4, 2, 1]);
  });

  it('orders on several columns', async () => {
    const res = await pg.from('posts').select('id').order('author_id').order('id', { ascending: false });
    expect(ids(res.data)).toEqual([2, 1, 3, 4]);
  });

  it('orders by a to-one embed and inside a to-many embed (referencedTable)', async () => {
    const byAuthor = await pg.from('posts').select('id, authors!posts_author_id_fkey(name)').order('authors(name)', { ascending: false }).order('id');
    expect(ids(byAuthor.data)).toEqual([4, 3, 1, 2]);
    const inner = await pg.from('authors').select('id, posts!posts_author_id_fkey(id)').order('id', { referencedTable: 'posts', ascending: false }).order('id');
    expect(inner.data).toEqual([{ id: 1, posts: [{ id: 2 }, { id: 1 }] }, { id: 2, posts: [{ id: 3 }] }, { id: 3, posts: [{ id: 4 }] }]);
  });

  it('limits and ranges', async () => {
    expect(ids((await pg.from('posts').select('id').order('id').limit(2)).data)).toEqual([1, 2]);
    const page = await pg.from('posts').select('id', { count: 'exact' }).order('id').range(1, 2);
    expect(page).toMatchObject({ data: [{ id: 2 }, { id: 3 }], count: 4, status: 206, error: null });
    const tail = await pg.from('posts').select('id').order('id').range(3, 10);
    expect(tail.data).toEqual([{ id: 4 }]);
  });

  it('limits and ranges inside an embed (referencedTable)', async () => {
    const limited = await pg.from('authors').select('id, posts!posts_author_id_fkey(id)')
      .order('id').order('id', { referencedTable: 'posts' }).limit(1, { referencedTable: 'posts' });
    expect(limited.data).toEqual([{ id: 1, posts: [{ id: 1 }] }, { id: 2, posts: [{ id: 3 }] }, { id: 3, posts: [{ id: 4 }] }]);
    const ranged = await pg.from('authors').select('id, posts!posts_author_id_fkey(id)')
      .order('id').order('id', { referencedTable: 'posts' }).range(1, 1, { referencedTable: 'posts' });
    expect(ranged.data).toEqual([{ id: 1, posts: [{ id: 2 }] }, { id: 2, posts: [] }, { id: 3, posts: [] }]);
  });
});

describe('single, maybeSingle, csv, abortSignal', () => {
  it('single returns one object, and 406 PGRST116 for zero or several rows', async () => {
    const one = await pg.from('authors').select('id, name').eq('id', 2).single();
    expect(one).toMatchObject({ error: null, data: { id: 2, name: 'Brian' }, status: 200 });
    for (const q of [pg.from('authors').select('id').eq('id', 99).single(), pg.from('authors').select('id').single()]) {
      const res = await q;
      expect(res.status).toBe(406);
      expect(res.data).toBeNull();
      expect(res.error).toMatchObject({ code: 'PGRST116', message: 'JSON object requested, multiple (or no) rows returned' });
    }
  });

  it('maybeSingle: null for 0 rows, the object for 1, PGRST116 for 2', async () => {
    expect(await pg.from('authors').select('id').eq('id', 99).maybeSingle()).toMatchObject({ error: null, data: null, status: 200 });
    expect(await pg.from('authors').select('id, name').eq('id', 3).maybeSingle()).toMatchObject({ error: null, data: { id: 3, name: 'Cleo' }, status: 200 });
    const two = await pg.from('authors').select('id').lte('id', 2).maybeSingle();
    expect(two).toMatchObject({ data: null, status: 406, error: { code: 'PGRST116' } });
  });

  it('csv returns a header row and quotes values the way PostgreSQL record text does', async () => {
    const res = await pg.from('posts').select('id, title, rating').order('id').csv();
    expect(res.status).toBe(200);
    expect(res.data).toBe('id,title,rating\n1,"Hello world",4.5\n2,"Second thoughts",3.0\n3,"Web things",\n4,Zebra,1.5');
    const quoted = await pg.from('posts').select('id, body').eq('id', 3).csv();
    expect(quoted.data).toBe('id,body\n3,"Frontend stuff with commas, and dots."');
  });

  it('abortSignal cancels the request', async () => {
    const ac = new AbortController();
    ac.abort();
    const res = await pg.from('posts').select().abortSignal(ac.signal);
    expect(res.status).toBe(0);
    expect(res.data).toBeNull();
    expect(res.error?.message).toMatch(/^AbortError:/);
  });
});

describe('embeds', () => {
  it('embeds to-one (object or null) through a named foreign key and through a column hint', async () => {
    const author = await pg.from('posts').select('id, author:authors!posts_author_id_fkey(name)').eq('id', 3);
    expect(author.data).toEqual([{ id: 3, author: { name: 'Brian' } }]);
    const editor = await pg.from('posts').select('id, editor:authors!editor_id(name)').order('id');
    expect(editor.data).toEqual([
      { id: 1, editor: { name: 'Brian' } }, { id: 2, editor: null }, { id: 3, editor: { name: 'Ada' } }, { id: 4, editor: null },
    ]);
  });

  it('embeds to-many (arrays, empty when no child) and nests embeds', async () => {
    const res = await pg.from('orgs').select('name, authors(name, posts!posts_author_id_fkey(id))')
      .order('id').order('id', { referencedTable: 'authors' }).order('id', { referencedTable: 'authors.posts' });
    expect(res.data).toEqual([
      { name: 'Acme', authors: [{ name: 'Ada', posts: [{ id: 1 }, { id: 2 }] }] },
      { name: 'Globex', authors: [{ name: 'Brian', posts: [{ id: 3 }] }] },
    ]);
  });

  it('embeds a self reference', async () => {
    const res = await pg.from('authors').select('name, mentor:mentor_id(name)').order('id');
    expect(res.data).toEqual([{ name: 'Ada', mentor: null }, { name: 'Brian', mentor: { name: 'Ada' } }, { name: 'Cleo', mentor: { name: 'Ada' } }]);
  });

  it('embeds one-to-one as an object in both directions', async () => {
    const authors = await pg.from('authors').select('name, profiles(bio)').order('id');
    expect(authors.data).toEqual([{ name: 'Ada', profiles: { bio: 'Mathematician' } }, { name: 'Brian', profiles: { bio: 'Writer' } }, { name: 'Cleo', profiles: null }]);
    const profiles = await pg.from('profiles').select('bio, authors(name)').order('author_id');
    expect(profiles.data).toEqual([{ bio: 'Mathematician', authors: { name: 'Ada' } }, { bio: 'Writer', authors: { name: 'Brian' } }]);
  });

  it('embeds many-to-many through the junction table, both ways', async () => {
    const posts = await pg.from('posts').select('id, tags(label)').order('id').order('label', { referencedTable: 'tags' });
    expect(posts.data).toEqual([
      { id: 1, tags: [{ label: 'db' }, { label: 'web' }] }, { id: 2, tags: [{ label: 'db' }] }, { id: 3, tags: [{ label: 'web' }] }, { id: 4, tags: [] },
    ]);
    const tags = await pg.from('tags').select('label, posts(id)').order('id').order('id', { referencedTable: 'posts' });
    expect(tags.data).toEqual([{ label: 'db', posts: [{ id: 1 }, { id: 2 }] }, { label: 'web', posts: [{ id: 1 }, { id: 3 }] }, { label: 'misc', posts: [] }]);
  });

  it('filters embedded rows, and parents with !inner or not.is.null', async () => {
    const scoped = await pg.from('authors').select('id, posts!posts_author_id_fkey(id)').eq('posts.published', false).order('id');
    expect(scoped.data).toEqual([{ id: 1, posts: [] }, { id: 2, posts: [{ id: 3 }] }, { id: 3, posts: [] }]);
    const inner = await pg.from('authors').select('name, posts!posts_author_id_fkey!inner(id)').eq('posts.published', false);
    expect(inner.data).toEqual([{ name: 'Brian', posts: [{ id: 3 }] }]);
    const withProfile = await pg.from('authors').select('name, profiles(bio)').not('profiles', 'is', null).order('id');
    expect(withProfile.data).toEqual([{ name: 'Ada', profiles: { bio: 'Mathematician' } }, { name: 'Brian', profiles: { bio: 'Writer' } }]);
  });

  it('spreads a to-one embed into the parent row', async () => {
    const res = await pg.from('posts').select('id, ...authors!posts_author_id_fkey(author_name:name, org_id)').order('id');
    expect(res.data).toEqual([
      { id: 1, author_name: 'Ada', org_id: 1 }, { id: 2, author_name: 'Ada', org_id: 1 },
      { id: 3, author_name: 'Brian', org_id: 2 }, { id: 4, author_name: 'Cleo', org_id: null },
    ]);
  });
});
