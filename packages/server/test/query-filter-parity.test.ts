// Hardening 3.2, one filter language: the same 30 filters written as REST query strings and
// as GraphQL filter arguments select the same rows, and as realtime subscriptions (the REST
// text on /realtime, the GraphQL argument on a graphql-ws subscription) deliver the same
// inserted rows. All four go through query/'s AST: REST and realtime parse the text, GraphQL
// builds the tree (graphql/filters.ts), the planner checks it and the SQL compiler or the
// in-memory evaluator applies it.
import { createClient, type Client } from 'graphql-ws';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';
import { enableRealtime, RtClient } from './harness/realtime.ts';

/** [REST query-string filter, GraphQL filter argument]. */
const CASES: [string, string][] = [
  ['qty=eq.5', '{ qty_eq: 5 }'],
  ['qty=neq.5', '{ qty_neq: 5 }'],
  ['qty=gt.5', '{ qty_gt: 5 }'],
  ['qty=gte.5', '{ qty_gte: 5 }'],
  ['qty=lt.5', '{ qty_lt: 5 }'],
  ['qty=lte.5', '{ qty_lte: 5 }'],
  ['qty=in.(1,5,9)', '{ qty_in: [1, 5, 9] }'],
  ['name=eq.apple', '{ name_eq: "apple" }'],
  ['name=neq.apple', '{ name_neq: "apple" }'],
  ['name=like.ap*', '{ name_like: "ap%" }'],
  ['name=ilike.*AN*', '{ name_ilike: "%AN%" }'],
  ['name=in.(apple,kiwi)', '{ name_in: ["apple", "kiwi"] }'],
  ['name=gt.d', '{ name_gt: "d" }'],
  ['flag=eq.true', '{ flag_eq: true }'],
  ['flag=eq.false', '{ flag_eq: false }'],
  ['note=is.null', '{ note_is_null: true }'],
  ['note=not.is.null', '{ note_is_null: false }'],
  ['price=gte.2.5', '{ price_gte: 2.5 }'],
  ['price=lt.1', '{ price_lt: 1 }'],
  ['tags=cs.{"color":"red"}', '{ tags_contains: { color: "red" } }'],
  ['tags=cd.{"color":"red","size":1}', '{ tags_contained_by: { color: "red", size: 1 } }'],
  ['labels=cs.{a}', '{ labels_contains: ["a"] }'],
  ['labels=cd.{a,b}', '{ labels_contained_by: ["a", "b"] }'],
  ['price=lte.2', '{ price_lte: 2 }'],
  ['or=(qty.lt.3,qty.gt.8)', '{ _or: [{ qty_lt: 3 }, { qty_gt: 8 }] }'],
  ['and=(qty.gte.3,qty.lte.8)', '{ _and: [{ qty_gte: 3 }, { qty_lte: 8 }] }'],
  ['qty=not.eq.5', '{ _not: { qty_eq: 5 } }'],
  ['not.or=(flag.eq.true,qty.eq.1)', '{ _not: { _or: [{ flag_eq: true }, { qty_eq: 1 }] } }'],
  ['or=(and(qty.gte.5,flag.eq.true),name.eq.kiwi)', '{ _or: [{ _and: [{ qty_gte: 5 }, { flag_eq: true }] }, { name_eq: "kiwi" }] }'],
  ['qty=gte.2&name=ilike.*e*&note=is.null', '{ qty_gte: 2, name_ilike: "%e%", note_is_null: true }'],
];

const SEED = [
  [1, 'apple', 5, 2.5, true, '{"color":"red","size":1}', '{a,b}', '2024-01-10', null],
  [2, 'banana', 1, 0.5, false, '{"color":"yellow"}', '{b}', '2024-03-01', 'ripe'],
  [3, 'cherry', 9, 4.0, true, '{"color":"red"}', '{a}', '2024-05-20', null],
  [4, 'kiwi', 3, 0.8, false, null, null, '2023-12-31', 'fuzzy'],
  [5, 'mango', 7, 3.2, true, '{"color":"orange","size":2}', '{a,c}', '2024-02-29', null],
  [6, 'date', 2, 1.0, false, '{}', '{}', '2024-03-02', null],
  [7, 'lemon', 10, 1.5, true, '{"color":"yellow","size":1}', '{c}', '2024-07-07', 'sour'],
  [8, 'plantain', 5, 2.0, false, '{"color":"red"}', '{a,b}', '2024-03-01', null],
] as const;

let db: TestDatabase;
let sql: postgres.Sql;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 2, onnotice: () => {} });
  await sql.unsafe(`
    create table public.things (
      id int primary key, name text not null, qty int not null, price numeric not null, flag boolean not null,
      tags jsonb, labels text[], made date not null, note text
    );
    grant select on public.things to anon, authenticated;
  `);
  app = await startTestApp(db.url);
  await enableRealtime(app, 'things');
  await insert(0);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await sql?.end();
  await db?.drop();
});

/** The seed rows with ids shifted by `offset`, in one transaction. */
async function insert(offset: number): Promise<void> {
  await sql.begin(async (tx) => {
    for (const [id, name, qty, price, flag, tags, labels, made, note] of SEED) {
      await tx`insert into public.things values (${id + offset}, ${name}, ${qty}, ${price}, ${flag}, ${tags}::jsonb, ${labels}::text[], ${made}::date, ${note})`;
    }
  });
}

async function restIds(filter: string): Promise<number[]> {
  const res = await app.fetch(`/rest/v1/things?select=id&id=lt.100&${filter}&order=id`, { headers: { apikey: app.keys.anon } });
  expect(res.status, `${filter}: ${await res.clone().text()}`).toBe(200);
  return ((await res.json()) as { id: number }[]).map((r) => r.id);
}

async function graphqlIds(filter: string): Promise<number[]> {
  const res = await app.fetch('/api/v1/graphql', {
    method: 'POST', headers: { apikey: app.keys.anon, 'content-type': 'application/json' },
    body: JSON.stringify({ query: `{ things(filter: { _and: [${filter}, { id_lt: 100 }] }, orderBy: [{ id: ASC }]) { id } }` }),
  });
  const body = (await res.json()) as { data?: { things: { id: number }[] }; errors?: unknown };
  expect(body.errors, `${filter}: ${JSON.stringify(body.errors)}`).toBeUndefined();
  return body.data!.things.map((r) => r.id);
}

describe('the same 30 filters through REST, GraphQL and realtime', () => {
  const expected = new Map<number, number[]>();

  it('REST and GraphQL select the same rows for each filter', async () => {
    let nonEmpty = 0;
    for (const [i, [rest, graphql]] of CASES.entries()) {
      const a = await restIds(rest);
      const b = await graphqlIds(graphql);
      expect(b, `case ${i}: ${rest} vs ${graphql}`).toEqual(a);
      expected.set(i, a);
      if (a.length > 0 && a.length < SEED.length) nonEmpty += 1;
    }
    // The cases discriminate: nearly all keep some rows and drop others.
    expect(nonEmpty).toBeGreaterThanOrEqual(28);
  });

  it('realtime subscriptions with the REST text and GraphQL subscriptions with the argument deliver the same inserted rows', async () => {
    expect(expected.size).toBe(CASES.length);
    const rt = await RtClient.connect(app.url, `?apikey=${app.keys.anon}`);
    const viaRealtime = new Map<string, number>();
    for (const [i, [rest]] of CASES.entries()) viaRealtime.set(await rt.subscribe('things', { event: 'INSERT', filter: rest }, `case:${i}`), i);

    const client: Client = createClient({ url: `${app.url.replace(/^http/, 'ws')}/api/v1/graphql`, webSocketImpl: WebSocket, connectionParams: { apikey: app.keys.anon }, lazy: false });
    const viaGraphql = new Map<number, number[]>();
    const ready: Promise<void>[] = [];
    const unsubscribes: (() => void)[] = [];
    for (const [i, [, graphql]] of CASES.entries()) {
      viaGraphql.set(i, []);
      ready.push(new Promise<void>((resolve, reject) => {
        unsubscribes.push(client.subscribe<{ thingsChanges: { record: { id: number } } }>(
          { query: `subscription { thingsChanges(filter: ${graphql}, events: [INSERT]) { record { id } } }` },
          { next: (msg) => viaGraphql.get(i)!.push(msg.data!.thingsChanges.record.id), error: reject, complete: () => {} },
        ));
        resolve();
      }));
    }
    await Promise.all(ready);
    // graphql-ws acknowledges nothing per subscription: wait until the engine holds all 60.
    await expect.poll(async () => {
      const text = await (await app.fetch('/metrics')).text();
      return Number(/^fluxbase_realtime_subscriptions (\d+)/m.exec(text)?.[1]);
    }, { timeout: 10_000 }).toBeGreaterThanOrEqual(CASES.length * 2);

    await insert(100);
    const total = [...expected.values()].reduce((n, ids) => n + ids.length, 0);
    const delivered = () => rt.all('postgres_changes').reduce((n, f) => n + (f.subscription_ids as string[]).length, 0) + [...viaGraphql.values()].reduce((n, ids) => n + ids.length, 0);
    await expect.poll(delivered, { timeout: 15_000 }).toBe(total * 2);
    const byCase = new Map<number, number[]>();
    for (const f of rt.all('postgres_changes')) {
      for (const id of f.subscription_ids as string[]) {
        const i = viaRealtime.get(id);
        if (i !== undefined) byCase.set(i, [...(byCase.get(i) ?? []), (f.payload.record as { id: number }).id - 100]);
      }
    }
    for (const [i, ids] of expected) {
      expect((byCase.get(i) ?? []).sort((a, b) => a - b), `realtime case ${i}: ${CASES[i]![0]}`).toEqual(ids);
      expect(viaGraphql.get(i)!.map((id) => id - 100).sort((a, b) => a - b), `graphql case ${i}: ${CASES[i]![1]}`).toEqual(ids);
    }
    for (const u of unsubscribes) u();
    await client.dispose();
    await rt.close();
  });
});
