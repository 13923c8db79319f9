// Request building of `from()`: the exact method, path, query string, headers and body each
// builder call puts on the wire, captured by a recording `fetch` (no server involved).
import { describe, expect, it } from 'vitest';
import { createClient, type FluxbaseClient } from '../index.ts';
import { MAX_QUERY_STRING } from './encode.ts';

interface Sent { method: string; path: string; query: Array<[string, string]>; search: string; headers: Headers; body: unknown }

function recorder(respond: () => Response = () => Response.json([])): { client: FluxbaseClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = createClient('http://api.test/base', 'anon-key', {
    fetch: async (input, init) => {
      const url = new URL(String(input));
      const raw = init?.body;
      sent.push({
        method: init?.method ?? 'GET', path: url.pathname, query: [...url.searchParams.entries()], search: url.search,
        headers: new Headers(init?.headers), body: typeof raw === 'string' ? JSON.parse(raw) : raw,
      });
      return respond();
    },
  });
  return { client, sent };
}

async function send(build: (c: FluxbaseClient) => PromiseLike<unknown>): Promise<Sent> {
  const { client, sent } = recorder();
  await build(client);
  expect(sent).toHaveLength(1);
  return sent[0]!;
}

const T = '/base/api/v1/tables/items';

describe('reads', () => {
  it.each<[string, (c: FluxbaseClient) => PromiseLike<unknown>, Array<[string, string]>]>([
    ['select() sends no select', (c) => c.from('items').select(), []],
    ['select columns, whitespace removed outside quotes', (c) => c.from('items').select(' id,\n  "my col" , author:authors ( name ) '), [['select', 'id,"my col",author:authors(name)']]],
    ['eq / neq / gt / gte / lt / lte', (c) => c.from('items').select().eq('a', 1).neq('b', 'x').gt('c', 2).gte('d', 3).lt('e', 4).lte('f', 5),
      [['a', 'eq.1'], ['b', 'neq.x'], ['c', 'gt.2'], ['d', 'gte.3'], ['e', 'lt.4'], ['f', 'lte.5']]],
    ['a Date value is ISO 8601, null is null', (c) => c.from('items').select().gt('at', new Date(Date.UTC(2026, 0, 2))).neq('x', null),
      [['at', 'gt.2026-01-02T00:00:00.000Z'], ['x', 'neq.null']]],
    ['like / ilike keep the pattern', (c) => c.from('items').select().like('t', '%a*').ilike('u', 'B%'), [['t', 'like.%a*'], ['u', 'ilike.B%']]],
    ['like/ilike any and all', (c) => c.from('items').select().likeAllOf('t', ['a%', 'b,c']).likeAnyOf('t', ['x']).ilikeAllOf('t', ['y']).ilikeAnyOf('t', ['z%', '(q)']),
      [['t', 'like(all).{a%,"b,c"}'], ['t', 'like(any).{x}'], ['t', 'ilike(all).{y}'], ['t', 'ilike(any).{z%,"(q)"}']]],
    ['is null / true / false', (c) => c.from('items').select().is('a', null).is('b', true).is('c', false), [['a', 'is.null'], ['b', 'is.true'], ['c', 'is.false']]],
    ['isDistinct', (c) => c.from('items').select().isDistinct('a', 'x'), [['a', 'isdistinct.x']]],
    ['in quotes reserved characters and escapes quotes', (c) => c.from('items').select().in('t', ['a', 'b,c', 'd(e)', 'say "hi"', 3, null]),
      [['t', 'in.(a,"b,c","d(e)","say \\"hi\\"",3,null)']]],
    ['contains / containedBy / overlaps: arrays, json, ranges', (c) => c.from('items').select()
      .contains('tags', ['a', 'b c', 'x,y']).contains('data', { k: 1 }).containedBy('tags', ['a']).overlaps('tags', ['z']).overlaps('during', '[1,5)'),
    [['tags', 'cs.{a,"b c","x,y"}'], ['data', 'cs.{"k":1}'], ['tags', 'cd.{a}'], ['tags', 'ov.{z}'], ['during', 'ov.[1,5)']]],
    ['range operators follow postgrest-js (sr nxl sl nxr adj)', (c) => c.from('items').select()
      .rangeGt('r', '[1,2]').rangeGte('r', '[3,4]').rangeLt('r', '[5,6]').rangeLte('r', '[7,8]').rangeAdjacent('r', '[9,10)'),
    [['r', 'sr.[1,2]'], ['r', 'nxl.[3,4]'], ['r', 'sl.[5,6]'], ['r', 'nxr.[7,8]'], ['r', 'adj.[9,10)']]],
    ['textSearch types and config', (c) => c.from('items').select().textSearch('b', 'cat').textSearch('b', 'fat cat', { type: 'plain', config: 'english' })
      .textSearch('b', 'a b', { type: 'phrase' }).textSearch('b', '"x" -y', { type: 'websearch', config: 'simple' }),
    [['b', 'fts.cat'], ['b', 'plfts(english).fat cat'], ['b', 'phfts.a b'], ['b', 'wfts(simple)."x" -y']]],
    ['match is several eq', (c) => c.from('items').select().match({ a: 1, b: 'x' }), [['a', 'eq.1'], ['b', 'eq.x']]],
    ['not, with an array rendered as the operator list', (c) => c.from('items').select().not('a', 'is', null).not('b', 'in', [1, 'x,y']).not('c', 'cs', ['p']).not('d', 'eq', 'v'),
      [['a', 'not.is.null'], ['b', 'not.in.(1,"x,y")'], ['c', 'not.cs.{p}'], ['d', 'not.eq.v']]],
    ['or / and, also on a referenced table; several or() stay separate', (c) => c.from('items').select()
      .or('a.eq.1,b.gt.2').or('c.is.null,and(d.eq.1,e.eq.2)').and('f.gte.1,f.lte.9').or('name.eq.x', { referencedTable: 'authors' }),
    [['or', '(a.eq.1,b.gt.2)'], ['or', '(c.is.null,and(d.eq.1,e.eq.2))'], ['and', '(f.gte.1,f.lte.9)'], ['authors.or', '(name.eq.x)']]],
    ['filter escape hatch: embedded columns, not., modifiers, arrays', (c) => c.from('items').select()
      .filter('authors.name', 'eq', 'Ann').filter('data->>k', 'not.in', ['a', 'b']).filter('t', 'like(any)', ['x%', 'y%']).filter('t', 'imatch', '^a.*z$'),
    [['authors.name', 'eq.Ann'], ['data->>k', 'not.in.(a,b)'], ['t', 'like(any).{x%,y%}'], ['t', 'imatch.^a.*z$']]],
    ['between / notBetween', (c) => c.from('items').select().between('qty', 1, 5).notBetween('price', 10, 20),
      [['qty', 'gte.1'], ['qty', 'lte.5'], ['or', '(price.lt.10,price.gt.20)']]],
    ['order: several keys, nulls only when asked, referenced table', (c) => c.from('items').select()
      .order('a').order('b', { ascending: false }).order('c', { nullsFirst: true }).order('d', { ascending: false, nullsFirst: false })
      .order('name', { referencedTable: 'authors', ascending: false }),
    [['order', 'a.asc,b.desc,c.asc.nullsfirst,d.desc.nullslast'], ['authors.order', 'name.desc']]],
    ['limit and range, also on a referenced table', (c) => c.from('items').select().range(10, 19).limit(3, { referencedTable: 'authors' }),
      [['limit', '10'], ['offset', '10'], ['authors.limit', '3']]],
    ['limit after range wins', (c) => c.from('items').select().range(5, 9).limit(2), [['limit', '2'], ['offset', '5']]],
    ['cursor walk', (c) => c.from('items').select().cursor('created_at', 'eyJjIjoxfQ').limit(50),
      [['limit', '50'], ['cursor_column', 'created_at'], ['cursor', 'eyJjIjoxfQ']]],
    ['first cursor page has no cursor', (c) => c.from('items').select().cursor('id').limit(2), [['limit', '2'], ['cursor_column', 'id']]],
  ])('%s', async (_name, build, query) => {
    const s = await send(build);
    expect(s.method).toBe('GET');
    expect(s.path).toBe(T);
    expect(s.query).toEqual(query);
    expect(s.body).toBeUndefined();
    expect(s.headers.get('prefer')).toBeNull();
  });

  it('sends the credentials and encodes the query string', async () => {
    const s = await send((c) => c.from('items').select('id').or('a.eq.1,b.eq.2'));
    expect(s.headers.get('apikey')).toBe('anon-key');
    expect(s.headers.get('authorization')).toBe('Bearer anon-key');
    expect(s.search).toBe('?select=id&or=%28a.eq.1%2Cb.eq.2%29');
  });

  it('asks for a count with Prefer and sends HEAD for head: true', async () => {
    const counted = await send((c) => c.from('items').select('*', { count: 'exact' }));
    expect(counted.headers.get('prefer')).toBe('count=exact');
    const head = await send((c) => c.from('items').select('*', { count: 'planned', head: true }));
    expect(head.method).toBe('HEAD');
    expect(head.headers.get('prefer')).toBe('count=planned');
  });

  it('single() asks for an object; maybeSingle() and csv() set their Accept', async () => {
    expect((await send((c) => c.from('items').select().eq('id', 1).single())).headers.get('accept')).toBe('application/vnd.pgrst.object+json');
    // maybeSingle reads an array and checks its length client side, so 0 rows is not an error.
    expect((await send((c) => c.from('items').select().maybeSingle())).headers.get('accept')).toBeNull();
    expect((await send((c) => c.from('items').select().csv())).headers.get('accept')).toBe('text/csv');
  });

  it('addresses other schemas and encodes names', async () => {
    expect((await send((c) => c.schema('analytics').from('events').select())).path).toBe('/base/api/v1/tables/analytics/events');
    expect((await send((c) => c.from('my table').select())).path).toBe('/base/api/v1/tables/my%20table');
  });

  it('sends Idempotency-Key and custom headers', async () => {
    const s = await send((c) => c.from('items').insert({ a: 1 }).idempotencyKey('k-1').setHeader('X-Request-ID', 'r-1'));
    expect(s.headers.get('idempotency-key')).toBe('k-1');
    expect(s.headers.get('x-request-id')).toBe('r-1');
  });
});

describe('writes', () => {
  it.each<[string, (c: FluxbaseClient) => PromiseLike<unknown>, string, Array<[string, string]>, string, unknown]>([
    ['insert without select() returns nothing', (c) => c.from('items').insert({ title: 'a' }), 'POST', [], 'return=minimal', { title: 'a' }],
    ['insert rows with select() and count', (c) => c.from('items').insert([{ title: 'a' }, { title: 'b', qty: 2 }], { count: 'exact' }).select('id, title'),
      'POST', [['select', 'id,title']], 'return=representation,count=exact', [{ title: 'a' }, { title: 'b', qty: 2 }]],
    ['insert with defaultToNull: false', (c) => c.from('items').insert([{ title: 'a' }], { defaultToNull: false }), 'POST', [], 'return=minimal,missing=default', [{ title: 'a' }]],
    ['upsert merges on the primary key by default', (c) => c.from('items').upsert({ id: 1, title: 'a' }).select(), 'POST', [], 'return=representation,resolution=merge-duplicates', { id: 1, title: 'a' }],
    ['upsert ignoring duplicates on other columns', (c) => c.from('items').upsert([{ sku: 'x' }], { onConflict: 'sku,shop', ignoreDuplicates: true, defaultToNull: false }),
      'POST', [['on_conflict', 'sku,shop']], 'return=minimal,resolution=ignore-duplicates,missing=default', [{ sku: 'x' }]],
    ['update with filters', (c) => c.from('items').update({ done: true }, { count: 'exact' }).eq('id', 3).in('qty', [1, 2]),
      'PATCH', [['id', 'eq.3'], ['qty', 'in.(1,2)']], 'return=minimal,count=exact', { done: true }],
    ['delete returning rows', (c) => c.from('items').delete().lt('qty', 0).select('id'), 'DELETE', [['select', 'id'], ['qty', 'lt.0']], 'return=representation', undefined],
    ['rollback and maxAffected', (c) => c.from('items').delete().eq('done', true).rollback().maxAffected(5), 'DELETE', [['done', 'eq.true']],
      'return=minimal,tx=rollback,handling=strict,max-affected=5', undefined],
  ])('%s', async (_name, build, method, query, prefer, body) => {
    const s = await send(build);
    expect(s.method).toBe(method);
    expect(s.path).toBe(T);
    expect(s.query).toEqual(query);
    expect(s.headers.get('prefer')).toBe(prefer);
    expect(s.body).toEqual(body);
    if (body !== undefined) expect(s.headers.get('content-type')).toBe('application/json');
  });

  it('single() on a write asks for an object', async () => {
    const s = await send((c) => c.from('items').update({ a: 1 }).eq('id', 1).select().single());
    expect(s.headers.get('accept')).toBe('application/vnd.pgrst.object+json');
    expect(s.headers.get('prefer')).toBe('return=representation');
  });
});

describe('long queries', () => {
  const many = Array.from({ length: 700 }, (_, i) => `value-${i}`);

  it('sends a read over the limit as POST …/query with the same request in the body', async () => {
    const s = await send((c) => c.from('items').select('id,title', { count: 'exact' })
      .in('title', many).eq('qty', 3).not('price', 'is', null).textSearch('body', 'cat', { config: 'english' })
      .likeAnyOf('title', ['a%', 'b,%']).or('a.eq.1,b.eq.2').and('c.gt.1').between('qty', 1, 9).notBetween('price', 5, 6)
      .order('id', { ascending: false, nullsFirst: true }).order('title').range(20, 29).cursor('id', 'abc')
      .filter('authors.name', 'not.eq', 'x,y').and('not.or(d.eq.1,e.eq.2)'));
    expect(s.method).toBe('POST');
    expect(s.path).toBe(`${T}/query`);
    expect(s.search).toBe('');
    expect(s.headers.get('prefer')).toBe('count=exact');
    expect(s.body).toEqual({
      select: 'id,title',
      filters: [
        { column: 'title', operator: 'in', value: many }, { column: 'qty', operator: 'eq', value: '3' },
        { column: 'price', operator: 'not.is', value: 'null' }, { column: 'body', operator: 'fts(english)', value: 'cat' },
        { column: 'title', operator: 'like(any)', value: ['a%', 'b,%'] }, { column: 'authors.name', operator: 'not.eq', value: 'x,y' },
      ],
      andFilters: ['c.gt.1', 'not.or(d.eq.1,e.eq.2)'],
      orFilters: ['a.eq.1,b.eq.2'],
      betweenFilters: [{ column: 'qty', min: '1', max: '9', negated: false }, { column: 'price', min: '5', max: '6', negated: true }],
      order: [{ column: 'id', direction: 'desc', nulls: 'first' }, { column: 'title', direction: 'asc' }],
      limit: 10, offset: 20, count: 'exact', cursor: 'abc', cursor_column: 'id',
    });
  });

  it('keeps a query at the limit as GET', async () => {
    // select=<n chars>: 7 characters of "select=" plus the value.
    const s = await send((c) => c.from('items').select('x'.repeat(MAX_QUERY_STRING - 7)));
    expect(s.method).toBe('GET');
    expect(s.search.length - 1).toBe(MAX_QUERY_STRING);
  });

  it.each<[string, (c: FluxbaseClient) => PromiseLike<unknown>]>([
    ['or on a referenced table', (c) => c.from('items').select('id,authors(name)').in('title', many).or('name.eq.a', { referencedTable: 'authors' })],
    ['order on a referenced table', (c) => c.from('items').select('id,authors(name)').in('title', many).order('name', { referencedTable: 'authors' })],
    ['limit on a referenced table', (c) => c.from('items').select('id,authors(name)').in('title', many).limit(1, { referencedTable: 'authors' })],
  ])('keeps a long read with %s as GET (the body cannot say it)', async (_name, build) => {
    const s = await send(build);
    expect(s.method).toBe('GET');
    expect(s.path).toBe(T);
  });

  it('never turns a write into /query', async () => {
    const s = await send((c) => c.from('items').delete().in('title', many));
    expect(s.method).toBe('DELETE');
    expect(s.path).toBe(T);
  });

  it('uses /query for head: true reads too, and still discards the body', async () => {
    const { client, sent } = recorder(() => Response.json([{ id: 1 }], { headers: { 'Content-Range': '0-0/1' } }));
    const res = await client.from('items').select('*', { head: true, count: 'exact' }).in('title', many);
    expect(sent[0]?.method).toBe('POST');
    expect(res).toMatchObject({ data: null, error: null, count: 1 });
  });
});
