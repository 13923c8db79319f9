// GraphQL bad input (issue 18 "Bad input"): each kind answers a GraphQL error response with
// `extensions.code` (400 before execution, 200 with `errors` and `path` during it), never a
// 500 and never SQL text, and the server stays healthy.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let sql: postgres.Sql;
let app: TestApp;
let closed: TestApp;

interface GqlBody { data?: unknown; errors?: { message: string; path?: unknown[]; extensions?: { code?: string } }[] }

async function post(target: TestApp, body: unknown, raw = false): Promise<{ status: number; body: GqlBody; text: string }> {
  const res = await target.fetch('/api/v1/graphql', {
    method: 'POST', headers: { 'content-type': 'application/json', apikey: target.keys.anon }, body: raw ? (body as string) : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: GqlBody = {};
  try {
    parsed = JSON.parse(text) as GqlBody;
  } catch { /* asserted by the caller */ }
  return { status: res.status, body: parsed, text };
}

const gql = (query: string, variables?: unknown) => post(app, { query, variables });

function refused(r: { status: number; body: GqlBody; text: string }, status: number, code: string): void {
  expect(r.status, r.text.slice(0, 300)).toBe(status);
  expect(r.body.errors?.[0]?.extensions?.code, r.text.slice(0, 300)).toBe(code);
  expect(r.text).not.toMatch(/\bselect\b.*\bfrom\b|json_agg|at .*\.ts:\d+/i);
}

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 2, onnotice: () => {} });
  await sql.unsafe(`
    create table public.items (id serial primary key, name text not null, qty int not null default 0, owner uuid);
    create table public.notes (id serial primary key, item_id int references public.items(id), body text);
    create view public.item_names as select name from public.items;
    grant select, insert, update, delete on public.items, public.notes to anon, authenticated;
    grant select on public.item_names to anon, authenticated;
    grant usage on all sequences in schema public to anon, authenticated;
    insert into public.items (name, qty) values ('a', 1), ('b', 2);
  `);
  app = await startTestApp(db.url);
  closed = await startTestApp(db.url, { overrides: { graphql: { introspection: false, allow_fragments: false, max_depth: 3 } } });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await closed?.close();
  await sql?.end();
  await db?.drop();
});

describe('refused before execution (400)', () => {
  it('a syntax error', async () => refused(await gql('{ items { id '), 400, 'GRAPHQL_PARSE_FAILED'));
  it('an unknown field, with a suggestion', async () => {
    const r = await gql('{ items { nme } }');
    refused(r, 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(r.body.errors?.[0]?.message).toMatch(/Cannot query field "nme" on type "Items". Did you mean "name"/);
  });
  it('an unknown type in a fragment', async () => refused(await gql('{ items { ...F } } fragment F on Nope { id }'), 400, 'GRAPHQL_VALIDATION_FAILED'));
  it('an unknown filter operator', async () => {
    const r = await gql('{ items(filter: { name_startswith: "a" }) { id } }');
    refused(r, 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(r.body.errors?.[0]?.message).toMatch(/name_startswith/);
  });
  it('a variable of the wrong type', async () => refused(await gql('query($n: Int!) { items(limit: $n) { id } }', { n: 'ten' }), 400, 'BAD_USER_INPUT'));
  it('a missing required variable', async () => refused(await gql('query($n: Int!) { items(limit: $n) { id } }', {}), 400, 'BAD_USER_INPUT'));
  it('no query, a non-string query, variables that are not an object, a non-JSON body', async () => {
    refused(await post(app, {}), 400, 'BAD_REQUEST');
    refused(await post(app, { query: 42 }), 400, 'BAD_REQUEST');
    refused(await post(app, { query: '{ items { id } }', variables: [1] }), 400, 'BAD_REQUEST');
    const r = await post(app, '{"query": ', true);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/"code"/);
  });
  it('several operations without operationName, and an unknown operationName', async () => {
    refused(await gql('query A { items { id } } query B { items { name } }'), 400, 'GRAPHQL_VALIDATION_FAILED');
    refused(await post(app, { query: 'query A { items { id } }', operationName: 'Z' }), 400, 'GRAPHQL_VALIDATION_FAILED');
  });
  it('depth bombs, counted through fragments', async () => {
    const deep = `{ items { notes { item { notes { item { notes { item { notes { item { notes { id } } } } } } } } } } }`;
    refused(await gql(deep), 400, 'GRAPHQL_DEPTH_LIMIT');
    const viaFragments = `{ items { ...A } } fragment A on Items { notes { ...B } } fragment B on Notes { item { ...C } }
      fragment C on Items { notes { item { notes { item { notes { item { notes { id } } } } } } } }`;
    refused(await gql(viaFragments), 400, 'GRAPHQL_DEPTH_LIMIT');
  });
  it('complexity bombs: aliases × nesting', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: items { notes { id } }`).join(' ');
    refused(await gql(`{ ${aliases} }`), 400, 'GRAPHQL_COMPLEXITY_LIMIT');
  });
  it('fragment cycles, and fragments spread exponentially', async () => {
    refused(await gql('{ items { ...A } } fragment A on Items { id ...B } fragment B on Items { name ...A }'), 400, 'GRAPHQL_VALIDATION_FAILED');
    const frags = Array.from({ length: 30 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join('\n');
    refused(await gql(`{ ...F0 } ${frags} fragment F30 on Query { __typename }`), 400, 'GRAPHQL_COMPLEXITY_LIMIT');
  });
  it('50+ fields on one level, and a 10,000-field query', async () => {
    const wide = Array.from({ length: 60 }, (_, i) => `f${i}: name`).join(' ');
    refused(await gql(`{ items(limit: 1) { ${wide} } }`), 400, 'GRAPHQL_FIELDS_LIMIT');
    const huge = Array.from({ length: 10_000 }, (_, i) => `f${i}: id`).join(' ');
    refused(await gql(`{ items { ${huge} } }`), 400, 'GRAPHQL_PARSE_FAILED');
  });
  it('huge variables: over the body limit is a 413 in the error format, under it a clear error', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const r = await post(app, { query: 'query($v: String) { items(filter: { name_eq: $v }) { id } }', variables: { v: big } });
    expect(r.status).toBe(413);
    expect(r.text).toMatch(/"code"/);
    const many = await gql('query($ids: [Int!]) { items(filter: { id_in: $ids }) { id } }', { ids: Array.from({ length: 50_000 }, (_, i) => i) });
    expect([200, 400]).toContain(many.status);
    expect(many.text).not.toMatch(/json_agg|\$\d+::/);
  });
  it('mutations on a view without a key do not exist; a mutation over GET is 405', async () => {
    const r = await gql('mutation { insertItemNames(data: { name: "x" }) { name } }');
    refused(r, 400, 'GRAPHQL_VALIDATION_FAILED');
    const get = await app.fetch(`/api/v1/graphql?query=${encodeURIComponent('mutation { deleteManyItems(filter: { id_eq: 1 }) }')}`, { headers: { apikey: app.keys.anon } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const [{ n }] = (await sql<{ n: number }[]>`select count(*)::int as n from public.items`) as unknown as [{ n: number }];
    expect(n).toBe(2);
  });
  it('a subscription over HTTP is refused with where to send it', async () => {
    const r = await gql('subscription { itemsChanges { type } }');
    refused(r, 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(r.body.errors?.[0]?.message).toMatch(/WebSocket/);
  });
  it('introspection and fragments switched off; a lower depth limit', async () => {
    const intro = await post(closed, { query: '{ __schema { types { name } } }' });
    refused(intro, 400, 'GRAPHQL_VALIDATION_FAILED');
    const get = await closed.fetch('/api/v1/graphql', { headers: { apikey: closed.keys.anon } });
    expect(get.status).toBe(403);
    expect(((await get.json()) as GqlBody).errors?.[0]?.extensions?.code).toBe('INTROSPECTION_DISABLED');
    refused(await post(closed, { query: '{ items { ...F } } fragment F on Items { id }' }), 400, 'GRAPHQL_VALIDATION_FAILED');
    refused(await post(closed, { query: '{ items { notes { item { id } } } }' }), 400, 'GRAPHQL_DEPTH_LIMIT');
  });
});

describe('errors during execution (200 with errors and path)', () => {
  it('a value the column cannot take: a catalog code, no SQL', async () => {
    const r = await gql('{ items(filter: { name_eq: "a" }) { id } bad: items(filter: { qty_gt: 1 }, limit: -1) { id } }');
    expect(r.status).toBe(200);
    expect(r.body.errors?.[0]).toMatchObject({ path: ['bad'], extensions: { code: 'INVALID_QUERY' } });
  });
  it('a constraint violation in a mutation: the code of the catalog, the path, no SQL text', async () => {
    const r = await gql(`mutation { insertNotes(data: { itemId: 999, body: "orphan" }) { id } }`);
    expect(r.status).toBe(200);
    expect(r.body.errors?.[0]).toMatchObject({ path: ['insertNotes'] });
    expect(r.body.errors?.[0]?.extensions?.code).toMatch(/FOREIGN_KEY|CONSTRAINT/);
    expect(JSON.stringify(r.body)).not.toMatch(/insert into|json_populate/i);
  });
  it('updateMany without a filter is refused when mutations require one', async () => {
    const r = await gql('mutation { updateManyItems(filter: {}, data: { qty: 0 }) { id } }');
    expect(r.body.errors?.[0]?.extensions?.code).toBe('FILTER_REQUIRED');
    const [{ n }] = (await sql<{ n: number }[]>`select count(*)::int as n from public.items where qty = 0`) as unknown as [{ n: number }];
    expect(n).toBe(0);
  });
});

describe('after all that', () => {
  it('the server is healthy and answers queries', async () => {
    expect((await app.fetch('/health')).status).toBe(200);
    const r = await gql('{ items(orderBy: [{ id: ASC }]) { name } }');
    expect(r.body).toEqual({ data: { items: [{ name: 'a' }, { name: 'b' }] } });
  });

  it('a table created later appears once the schema cache reloads', async () => {
    await sql.unsafe(`create table public.late (id int primary key, v text); grant select on public.late to anon; insert into public.late values (1, 'x');`);
    await sql`notify pgrst, 'reload schema'`;
    await expect.poll(async () => (await gql('{ late { v } }')).body, { timeout: 15_000, interval: 200 }).toEqual({ data: { late: [{ v: 'x' }] } });
  });
});
