// The query builder against the real server (`/api/v1/tables`): every filter operator,
// logic groups, order and pagination, single/maybeSingle, counts, embeds, writes and
// upserts, RLS per user, errors, long queries through `/query` and cursor walks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../../server/test/harness/index.ts';
import { createClient, type FluxbaseClient, type FilterBuilder, type QueryResponse } from '../src/index.ts';
import type { Database } from './fixtures/database.ts';
import { createFixtureSchema, FIXTURE_OVERRIDES } from './fixtures/schema.ts';

type Item = Database['public']['Tables']['items']['Row'];

let db: TestDatabase;
let app: TestApp;
let anon: FluxbaseClient<Database>;
let service: FluxbaseClient<Database>;

beforeAll(async () => {
  db = await createTestDatabase();
  await createFixtureSchema(db.sql);
  app = await startTestApp(db.url, { overrides: FIXTURE_OVERRIDES });
  anon = createClient<Database>(app.url, app.keys.anon);
  service = createClient<Database>(app.url, app.keys.service_role);
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

/** The ids of a successful read, failing the test with the server's error otherwise. */
function ids(res: QueryResponse<Array<{ id: number | null }> | null>): Array<number | null> {
  expect(res.error).toBeNull();
  return (res.data ?? []).map((r) => r.id);
}

type ItemQuery = FilterBuilder<Item, Item[]>;

describe('filters', () => {
  it.each<[string, (q: ItemQuery) => ItemQuery, number[]]>([
    ['eq', (q) => q.eq('title', 'apple'), [1]],
    ['neq', (q) => q.neq('done', true), [1, 3, 5, 6]],
    ['gt', (q) => q.gt('qty', 5), [3, 5]],
    ['gte', (q) => q.gte('qty', 5), [2, 3, 5]],
    ['lt', (q) => q.lt('qty', 3), [1, 4]],
    ['lte', (q) => q.lte('qty', 3), [1, 4, 6]],
    ['like with %', (q) => q.like('title', '%rr%'), [3, 5]],
    ['like with *', (q) => q.like('title', 'b*'), [2]],
    ['ilike', (q) => q.ilike('title', 'c%'), [3]],
    ['likeAnyOf', (q) => q.likeAnyOf('title', ['a%', 'b%']), [1, 2]],
    ['likeAllOf', (q) => q.likeAllOf('title', ['%e%', '%r%']), [3, 4, 5, 6]],
    ['ilikeAnyOf', (q) => q.ilikeAnyOf('title', ['C%', 'F%']), [3, 6]],
    ['ilikeAllOf', (q) => q.ilikeAllOf('title', ['%E%', '%Y%']), [3, 5]],
    ['is null', (q) => q.is('price', null), [2, 6]],
    ['is true', (q) => q.is('done', true), [2, 4]],
    ['is false', (q) => q.is('done', false), [1, 3, 5, 6]],
    ['isDistinct (NULL-safe)', (q) => q.isDistinct('author_id', 1), [3, 4, 5, 6]],
    ['in with quoted values', (q) => q.in('title', ['apple', 'date, dried', 'fig (green)']), [1, 4, 6]],
    ['in numbers', (q) => q.in('id', [2, 3]), [2, 3]],
    ['contains array', (q) => q.contains('tags', ['red']), [1, 3]],
    ['contains jsonb', (q) => q.contains('data', { kind: 'berry' }), [3, 5]],
    ['containedBy array', (q) => q.containedBy('tags', ['red', 'fruit', 'yellow']), [1, 2, 3, 4]],
    ['overlaps array', (q) => q.overlaps('tags', ['purple', 'green']), [5, 6]],
    ['overlaps range', (q) => q.overlaps('during', '[4,6)'), [1, 2]],
    ['rangeGt (sr)', (q) => q.rangeGt('during', '[0,4]'), [2, 3, 5, 6]],
    ['rangeGte (nxl)', (q) => q.rangeGte('during', '[10,15)'), [3, 5, 6]],
    ['rangeLt (sl)', (q) => q.rangeLt('during', '[15,100)'), [1, 2]],
    ['rangeLte (nxr)', (q) => q.rangeLte('during', '[0,10)'), [1, 2]],
    ['rangeAdjacent (adj)', (q) => q.rangeAdjacent('during', '[10,20)'), [2, 5]],
    ['textSearch english stems', (q) => q.textSearch('body', 'cat', { config: 'english' }), [3, 5, 6]],
    ['textSearch simple is exact', (q) => q.textSearch('body', 'cat', { config: 'simple' }), [5, 6]],
    ['textSearch plain', (q) => q.textSearch('body', 'cat fat', { type: 'plain', config: 'english' }), [3, 6]],
    ['textSearch phrase', (q) => q.textSearch('body', 'fat cat', { type: 'phrase', config: 'english' }), [3, 6]],
    ['textSearch phrase in the wrong order', (q) => q.textSearch('body', 'cat fat', { type: 'phrase', config: 'english' }), []],
    ['textSearch websearch', (q) => q.textSearch('body', 'cat -fat', { type: 'websearch', config: 'english' }), [5]],
    ['match', (q) => q.match({ done: false, author_id: 2 }), [3, 5]],
    ['not in', (q) => q.not('title', 'in', ['apple', 'banana']), [3, 4, 5, 6]],
    ['not is null', (q) => q.not('price', 'is', null), [1, 3, 4, 5]],
    ['or', (q) => q.or('qty.gt.6,title.eq.apple'), [1, 3, 5]],
    ['or with nested and', (q) => q.or('and(qty.gte.5,done.is.true),title.eq.apple'), [1, 2]],
    ['two or() groups are ANDed', (q) => q.or('qty.lt.2,qty.gt.9').or('done.is.false'), [1, 3]],
    ['and', (q) => q.and('qty.gte.1,qty.lte.5'), [1, 2, 6]],
    ['and with a negated or', (q) => q.and('not.or(qty.lt.2,qty.gt.6),done.is.false'), [6]],
    ['JSON path eq', (q) => q.eq('data->>kind', 'fruit'), [1, 2, 6]],
    ['filter() with a JSON path', (q) => q.filter('data->>kind', 'eq', 'berry'), [3, 5]],
    ['filter() match (regex)', (q) => q.filter('title', 'match', 'rr'), [3, 5]],
    ['filter() imatch', (q) => q.filter('title', 'imatch', '^c'), [3]],
    ['filter() not.in with an array', (q) => q.filter('id', 'not.in', [1, 2, 3]), [4, 5, 6]],
    ['between', (q) => q.between('qty', 3, 7), [2, 5, 6]],
    ['notBetween', (q) => q.notBetween('qty', 1, 7), [3, 4]],
  ])('%s', async (_name, apply, expected) => {
    expect(ids(await apply(anon.from('items').select()).order('id'))).toEqual(expected);
  });
});

describe('order, limit and range', () => {
  it('orders descending and limits', async () => {
    expect(ids(await anon.from('items').select('id').order('qty', { ascending: false }).limit(2))).toEqual([3, 5]);
  });

  it('places nulls first only when asked', async () => {
    expect(ids(await anon.from('items').select('id').order('price').order('id'))).toEqual([4, 1, 5, 3, 2, 6]);
    expect(ids(await anon.from('items').select('id').order('price', { nullsFirst: true }).order('id'))).toEqual([2, 6, 4, 1, 5, 3]);
  });

  it('ranges are zero-based and inclusive', async () => {
    expect(ids(await anon.from('items').select('id').order('id').range(1, 3))).toEqual([2, 3, 4]);
  });

  it('picks columns and returns them in select order', async () => {
    const res = await anon.from('items').select('title, id').eq('id', 1);
    expect(res.error).toBeNull();
    expect(res.data).toEqual([{ title: 'apple', id: 1 }]);
    expect(Object.keys(res.data?.[0] ?? {})).toEqual(['title', 'id']);
  });
});

describe('single, maybeSingle, count, head, csv', () => {
  it('single() returns the row as an object', async () => {
    const res = await anon.from('items').select('id, title, price, tags, data').eq('id', 1).single();
    expect(res).toMatchObject({ error: null, status: 200, data: { id: 1, title: 'apple', price: 1.5, tags: ['red', 'fruit'], data: { kind: 'fruit', n: 1 } } });
  });

  it('single() with no row is SINGLE_OBJECT_EXPECTED (406)', async () => {
    const res = await anon.from('items').select().eq('id', 999).single();
    expect(res.data).toBeNull();
    expect(res.status).toBe(406);
    expect(res.error).toMatchObject({ code: 'SINGLE_OBJECT_EXPECTED', status: 406 });
  });

  it('maybeSingle(): null for none, the row for one, an error for several', async () => {
    expect(await anon.from('items').select('id').eq('id', 999).maybeSingle()).toMatchObject({ data: null, error: null, status: 200 });
    expect(await anon.from('items').select('id').eq('id', 2).maybeSingle()).toMatchObject({ data: { id: 2 }, error: null });
    const several = await anon.from('items').select('id').lt('id', 3).maybeSingle();
    expect(several.error).toMatchObject({ code: 'SINGLE_OBJECT_EXPECTED', status: 406 });
  });

  it('count: exact gives the total beside a page', async () => {
    const res = await anon.from('items').select('id', { count: 'exact' }).lt('qty', 5).order('id').limit(2);
    expect(ids(res)).toEqual([1, 4]);
    expect(res.count).toBe(3);
  });

  it('count is null when not asked', async () => {
    expect((await anon.from('items').select('id')).count).toBeNull();
  });

  it('head: true returns the count and no rows', async () => {
    const res = await anon.from('items').select('*', { count: 'exact', head: true });
    expect(res).toMatchObject({ data: null, error: null, count: 6 });
  });

  it('planned and estimated counts are numbers', async () => {
    for (const count of ['planned', 'estimated'] as const) {
      const res = await anon.from('items').select('id', { count });
      expect(res.error).toBeNull();
      expect(typeof res.count).toBe('number');
    }
  });

  it('csv() returns CSV text', async () => {
    const res = await anon.from('items').select('id,title').lte('id', 2).order('id').csv();
    expect(res.error).toBeNull();
    expect(res.data?.trim().split('\n')).toEqual(['id,title', '1,apple', '2,banana']);
  });

  it('reads views and other exposed schemas', async () => {
    expect(ids(await anon.from('item_titles').select('id').gt('id', 4).order('id'))).toEqual([5, 6]);
    const events = await anon.schema('analytics').from('events').select('kind').order('id');
    expect(events).toMatchObject({ error: null, data: [{ kind: 'click' }, { kind: 'view' }] });
  });
});

describe('embeds', () => {
  it('to-one: an object (or null)', async () => {
    const res = await anon.from('items').select('id, author:authors(name)').in('id', [1, 4]).order('id');
    expect(res.error).toBeNull();
    expect(res.data).toEqual([{ id: 1, author: { name: 'Ann' } }, { id: 4, author: null }]);
  });

  it('to-many: an array, ordered and limited per parent', async () => {
    const res = await anon.from('authors').select('name, items(title)').eq('id', 2)
      .order('id', { referencedTable: 'items', ascending: false }).limit(1, { referencedTable: 'items' });
    expect(res.error).toBeNull();
    expect(res.data).toEqual([{ name: 'Bob', items: [{ title: 'elderberry' }] }]);
  });

  it('many-to-many through the junction table', async () => {
    const res = await anon.from('items').select('id, labels(name)').eq('id', 1).order('id', { referencedTable: 'labels' });
    expect(res.error).toBeNull();
    expect(res.data).toEqual([{ id: 1, labels: [{ name: 'sweet' }, { name: 'local' }] }]);
  });

  it('!inner with a filter on the embed filters the parents', async () => {
    const res = await anon.from('items').select('id, authors!inner(name)').filter('authors.name', 'eq', 'Bob').order('id');
    expect(ids(res as QueryResponse<Array<{ id: number }>>)).toEqual([3, 5]);
  });

  it('or() on a referenced table filters the embedded rows', async () => {
    const res = await anon.from('authors').select('id, items(id)').eq('id', 1).or('qty.gt.3,title.eq.none', { referencedTable: 'items' });
    expect(res.error).toBeNull();
    expect(res.data).toEqual([{ id: 1, items: [{ id: 2 }] }]);
  });
});

describe('writes', () => {
  it('insert without select() returns no data; with select() the rows', async () => {
    const plain = await service.from('products').insert({ sku: 'w-1', name: 'Widget' });
    expect(plain).toMatchObject({ data: null, error: null, status: 201 });

    const one = await service.from('products').insert({ sku: 'w-2', name: 'Gadget', stock: 4 }).select('sku, name, stock, note');
    expect(one).toMatchObject({ error: null, status: 201, data: [{ sku: 'w-2', name: 'Gadget', stock: 4, note: 'n/a' }] });

    const many = await service.from('products').insert([{ sku: 'w-3', name: 'A', stock: 0 }, { sku: 'w-4', name: 'B', stock: 1 }], { count: 'exact' }).select('sku, stock');
    expect(many).toMatchObject({ error: null, count: 2, data: [{ sku: 'w-3', stock: 0 }, { sku: 'w-4', stock: 1 }] });
  });

  it('bulk insert: missing keys are NULL by default, DEFAULT with defaultToNull: false', async () => {
    const nulls = await service.from('products').insert([{ sku: 'd-1', name: 'x', note: 'set' }, { sku: 'd-2', name: 'y' }]).select('sku, note');
    expect(nulls.data).toEqual([{ sku: 'd-1', note: 'set' }, { sku: 'd-2', note: null }]);
    const defaults = await service.from('products').insert([{ sku: 'd-3', name: 'x', note: 'set' }, { sku: 'd-4', name: 'y' }], { defaultToNull: false }).select('sku, note');
    expect(defaults.data).toEqual([{ sku: 'd-3', note: 'set' }, { sku: 'd-4', note: 'n/a' }]);
  });

  it('insert().select().single() returns the object', async () => {
    const res = await service.from('products').insert({ sku: 's-1', name: 'Single' }).select('sku').single();
    expect(res).toMatchObject({ error: null, data: { sku: 's-1' } });
  });

  it('update returns the changed rows with select(), nothing without', async () => {
    await service.from('products').insert([{ sku: 'u-1', name: 'a' }, { sku: 'u-2', name: 'b' }]);
    const quiet = await service.from('products').update({ stock: 9 }, { count: 'exact' }).like('sku', 'u-%');
    expect(quiet).toMatchObject({ data: null, error: null, count: 2, status: 204 });
    const res = await service.from('products').update({ name: 'renamed' }).eq('sku', 'u-1').select('sku, name, stock');
    expect(res).toMatchObject({ error: null, data: [{ sku: 'u-1', name: 'renamed', stock: 9 }] });
  });

  it('delete returns the deleted rows as an array with select()', async () => {
    await service.from('products').insert([{ sku: 'x-1', name: 'a' }, { sku: 'x-2', name: 'b' }, { sku: 'x-3', name: 'c' }]);
    const res = await service.from('products').delete({ count: 'exact' }).in('sku', ['x-1', 'x-2']).select('sku').order('sku');
    expect(res).toMatchObject({ error: null, count: 2, data: [{ sku: 'x-1' }, { sku: 'x-2' }] });
    const rest = await service.from('products').delete().eq('sku', 'x-3');
    expect(rest).toMatchObject({ data: null, error: null, status: 204 });
    expect((await service.from('products').select('sku').like('sku', 'x-%')).data).toEqual([]);
  });

  it('a write without a filter is refused with FILTER_REQUIRED', async () => {
    const res = await service.from('products').delete();
    expect(res.error).toMatchObject({ code: 'FILTER_REQUIRED', status: 400 });
  });

  it('idempotencyKey(): a retried insert runs once', async () => {
    const send = () => service.from('products').insert({ sku: 'i-1', name: 'once' }).select('sku').idempotencyKey('sdk-idem-1');
    const first = await send();
    const second = await send();
    expect(first).toMatchObject({ error: null, data: [{ sku: 'i-1' }] });
    expect(second).toMatchObject({ error: null, data: [{ sku: 'i-1' }] });
    expect((await service.from('products').select('id', { count: 'exact', head: true }).eq('sku', 'i-1')).count).toBe(1);
  });

  it('rollback() shows the change without keeping it', async () => {
    await service.from('products').insert({ sku: 'r-1', name: 'kept' });
    const res = await service.from('products').update({ name: 'gone' }).eq('sku', 'r-1').select('name').rollback();
    expect(res).toMatchObject({ error: null, data: [{ name: 'gone' }] });
    expect((await service.from('products').select('name').eq('sku', 'r-1').single()).data).toEqual({ name: 'kept' });
  });
});

describe('upsert', () => {
  it('merges on the primary key', async () => {
    const inserted = await service.from('products').insert({ sku: 'p-1', name: 'first', stock: 1 }).select('id').single();
    const id = inserted.data?.id;
    expect(id).toBeTypeOf('number');
    const res = await service.from('products').upsert({ id, sku: 'p-1', name: 'merged', stock: 2 }).select('id, name, stock');
    expect(res).toMatchObject({ error: null, data: [{ id, name: 'merged', stock: 2 }] });
  });

  it('merges on another unique column with onConflict', async () => {
    await service.from('products').insert({ sku: 'p-2', name: 'before' });
    const res = await service.from('products').upsert([{ sku: 'p-2', name: 'after' }, { sku: 'p-3', name: 'new' }], { onConflict: 'sku' }).select('sku, name').order('sku');
    expect(res).toMatchObject({ error: null, data: [{ sku: 'p-2', name: 'after' }, { sku: 'p-3', name: 'new' }] });
  });

  it('ignoreDuplicates keeps the existing row and returns only new ones', async () => {
    await service.from('products').insert({ sku: 'p-4', name: 'original' });
    const res = await service.from('products').upsert([{ sku: 'p-4', name: 'ignored' }, { sku: 'p-5', name: 'added' }], { onConflict: 'sku', ignoreDuplicates: true }).select('sku, name');
    expect(res).toMatchObject({ error: null, data: [{ sku: 'p-5', name: 'added' }] });
    const single = await service.from('products').upsert({ sku: 'p-4', name: 'ignored' }, { onConflict: 'sku', ignoreDuplicates: true }).select('sku');
    expect(single).toMatchObject({ error: null, data: [] });
    expect((await service.from('products').select('name').eq('sku', 'p-4').single()).data).toEqual({ name: 'original' });
  });
});

describe('row-level security', () => {
  const alice = '0b7c2f7e-1f44-4d5a-9a3e-000000000001';
  const bob = '0b7c2f7e-1f44-4d5a-9a3e-000000000002';

  function as(userId: string): FluxbaseClient<Database> {
    const client = createClient<Database>(app.url, app.keys.anon);
    client.setAuth(app.userToken(userId));
    return client;
  }

  it('each user sees and changes only their own rows', async () => {
    const a = as(alice);
    const b = as(bob);
    const inserted = await a.from('notes').insert({ body: 'alice note' }).select('owner, body');
    expect(inserted).toMatchObject({ error: null, data: [{ owner: alice, body: 'alice note' }] });
    await b.from('notes').insert({ body: 'bob note' });

    expect((await a.from('notes').select('body')).data).toEqual([{ body: 'alice note' }]);
    expect((await b.from('notes').select('body')).data).toEqual([{ body: 'bob note' }]);

    const hijack = await b.from('notes').update({ body: 'hacked' }, { count: 'exact' }).eq('body', 'alice note');
    expect(hijack).toMatchObject({ error: null, count: 0 });
    const erase = await b.from('notes').delete().eq('body', 'alice note').select();
    expect(erase).toMatchObject({ error: null, data: [] });
    expect((await a.from('notes').select('body').single()).data).toEqual({ body: 'alice note' });
  });

  it('anon sees no rows, and a write for someone else is refused', async () => {
    expect((await anon.from('notes').select()).data).toEqual([]);
    const forged = await as(bob).from('notes').insert({ owner: alice, body: 'forged' });
    expect(forged.data).toBeNull();
    expect(forged.error).toMatchObject({ code: 'RLS_POLICY_VIOLATION', status: 403 });
  });
});

describe('errors', () => {
  it('unknown column: UNKNOWN_COLUMN 400 with a hint', async () => {
    const res = await anon.from('items').select('id, titel');
    expect(res).toMatchObject({ data: null, count: null, status: 400 });
    expect(res.error).toMatchObject({ code: 'UNKNOWN_COLUMN', status: 400 });
    expect(res.error?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('unknown filter column and unknown operator', async () => {
    expect((await anon.from('items').select().filter('nope', 'eq', 1)).error).toMatchObject({ code: 'UNKNOWN_COLUMN', status: 400 });
    expect((await anon.from('items').select().filter('qty', 'almost', 1)).error).toMatchObject({ code: 'INVALID_FILTER', status: 400 });
  });

  it('unknown table: TABLE_NOT_FOUND 404', async () => {
    const untyped = createClient(app.url, app.keys.anon);
    expect((await untyped.from('no_such_table').select()).error).toMatchObject({ code: 'TABLE_NOT_FOUND', status: 404 });
  });

  it('a value of the wrong type: INVALID_INPUT 400', async () => {
    const res = await anon.from('items').select().filter('qty', 'eq', 'many');
    expect(res.error).toMatchObject({ code: 'INVALID_INPUT', status: 400 });
  });

  it('duplicate key on insert: DUPLICATE_KEY 409', async () => {
    await service.from('products').insert({ sku: 'dup-1', name: 'a' });
    expect((await service.from('products').insert({ sku: 'dup-1', name: 'b' })).error).toMatchObject({ code: 'DUPLICATE_KEY', status: 409 });
  });

  it('throwOnError() rejects with the error', async () => {
    await expect(anon.from('items').select().filter('nope', 'eq', 1).throwOnError()).rejects.toMatchObject({ name: 'FluxbaseError', code: 'UNKNOWN_COLUMN' });
  });
});

describe('long queries', () => {
  it('a read over 4096 characters goes to /query and returns the same rows', async () => {
    const sent: Array<{ method: string; url: string }> = [];
    const client = createClient<Database>(app.url, app.keys.anon, {
      fetch: (input, init) => {
        sent.push({ method: init?.method ?? 'GET', url: String(input) });
        return fetch(input, init);
      },
    });
    const decoys = Array.from({ length: 600 }, (_, i) => `no such title ${i}`);
    const res = await client.from('items').select('id, title', { count: 'exact' })
      .in('title', [...decoys, 'apple', 'Cherry', 'fig (green)']).not('price', 'is', null).or('qty.gt.5,title.eq.apple')
      .textSearch('body', 'quick', { type: 'websearch', config: 'english' }).order('id', { ascending: false }).limit(5);
    expect(sent).toEqual([{ method: 'POST', url: `${app.url}/api/v1/tables/items/query` }]);
    expect(res.error).toBeNull();
    expect(res.data).toEqual([{ id: 1, title: 'apple' }]);
    expect(res.count).toBe(1);

    const between = await client.from('items').select('id').in('id', Array.from({ length: 1200 }, (_, i) => i)).notBetween('qty', 1, 7).order('id');
    expect(sent[1]?.method).toBe('POST');
    expect(ids(between)).toEqual([3, 4]);
  });
});

describe('cursor pagination', () => {
  async function walk(build: (cursor: string | null) => PromiseLike<QueryResponse<Array<{ id: number }>>>): Promise<Array<Array<number | null>>> {
    const pages: Array<Array<number | null>> = [];
    let cursor: string | null = null;
    do {
      const res = await build(cursor);
      pages.push(ids(res));
      cursor = res.nextCursor;
    } while (cursor !== null && pages.length < 10);
    return pages;
  }

  it('walks forwards by id until nextCursor is null', async () => {
    expect(await walk((c) => anon.from('items').select('id').cursor('id', c).limit(2))).toEqual([[1, 2], [3, 4], [5, 6]]);
  });

  it('walks backwards on a non-unique column with the same filters', async () => {
    const pages = await walk((c) => anon.from('items').select('id').eq('done', false).cursor('author_id', c).order('author_id', { ascending: false }).limit(2));
    // Ties on author_id (3 and 5) are broken by the primary key in the walk's direction.
    expect(pages.flat()).toEqual([6, 5, 3, 1]);
    expect(pages.map((p) => p.length)).toEqual([2, 2]);
  });

  it('a bad cursor is INVALID_CURSOR', async () => {
    expect((await anon.from('items').select('id').cursor('id', '!!!').limit(2)).error).toMatchObject({ code: 'INVALID_CURSOR', status: 400 });
  });
});
