// Realtime postgres_changes end to end (docs/realtime.md): a real server, real PostgreSQL,
// WebSocket clients. RLS decides who receives what, DELETE included; filters; one frame per
// connection per change; excluded columns; a 1 MB row; rolled-back transactions.
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './harness/index.ts';
import { enableRealtime, RealtimeHarness, RtClient } from './harness/realtime.ts';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

let app: TestApp;
let sql: postgres.Sql;
const h = new RealtimeHarness();

const connect = (query = ''): Promise<RtClient> => h.connect(query);

const enable = (table: string, body: Record<string, unknown> = {}) => enableRealtime(app, table, body);

beforeAll(async () => {
  sql = await h.openDatabase();
  await sql.unsafe(`
    create table public.notes (id int generated always as identity primary key, owner uuid not null, body text not null, secret text, big text);
    alter table public.notes enable row level security;
    create policy notes_owner on public.notes for select using (owner = auth.uid());
    create table public.open_items (id int primary key, label text, n int);
    grant select, insert, update, delete on all tables in schema public to anon, authenticated, service_role;
  `);
  app = await h.startApp();
  await enable('notes', { exclude: ['secret'] });
  await enable('open_items');
}, 60_000);

afterAll(() => h.close());

describe('connecting', () => {
  it('answers a plain GET with 426 in the error format', async () => {
    const res = await app.fetch('/realtime');
    expect(res.status).toBe(426);
    const body = await res.json() as Record<string, unknown>;
    expect(body.code).toBe('UPGRADE_REQUIRED');
    expect(body.request_id).toEqual(expect.any(String));
  });

  it('refuses an invalid token with 401 before the upgrade', async () => {
    const err = await RtClient.connect(app.url, '?token=not-a-jwt').catch((e: { status: number; body: string }) => e);
    expect((err as { status: number }).status).toBe(401);
    expect(JSON.parse((err as { body: string }).body).code).toBe('INVALID_TOKEN');
  });
});

describe('postgres_changes under RLS', () => {
  it('delivers INSERT, UPDATE and DELETE to the owner only, with the old row on DELETE; service_role sees all', async () => {
    const a = await connect(`?token=${app.userToken(A)}`);
    const b = await connect(`?token=${app.userToken(B)}`);
    const svc = await connect(`?token=${app.keys.service_role}`);
    for (const c of [a, b, svc]) await c.subscribe('notes');
    const [row] = await sql`insert into public.notes (owner, body, secret) values (${A}, 'hello', 'hidden') returning id`;
    const ins = await a.next((f) => f.type === 'postgres_changes');
    expect(ins.payload).toMatchObject({ type: 'INSERT', schema: 'public', table: 'notes', record: { id: row!.id, owner: A, body: 'hello' } });
    expect(ins.payload.record).not.toHaveProperty('secret');
    expect(ins.payload).not.toHaveProperty('old_record');
    expect(ins.payload.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await sql`update public.notes set body = 'changed' where id = ${row!.id}`;
    const upd = await a.next((f) => f.type === 'postgres_changes');
    expect(upd.payload).toMatchObject({ type: 'UPDATE', record: { body: 'changed' }, old_record: { body: 'hello' } });
    await sql`delete from public.notes where id = ${row!.id}`;
    const del = await a.next((f) => f.type === 'postgres_changes');
    expect(del.payload).toMatchObject({ type: 'DELETE', record: null, old_record: { id: row!.id, owner: A } });
    // The service role saw all three; B saw none (a later change of B's own proves B's socket works).
    for (const t of ['INSERT', 'UPDATE', 'DELETE']) expect((await svc.next((f) => f.type === 'postgres_changes')).payload.type).toBe(t);
    await sql`insert into public.notes (owner, body) values (${B}, 'bee')`;
    const bees = await b.next((f) => f.type === 'postgres_changes');
    expect(bees.payload.record.owner).toBe(B);
    expect(b.all('postgres_changes')).toHaveLength(1);
    expect(a.all('postgres_changes')).toHaveLength(3);
  });

  it('sends one frame per connection listing every matching subscription', async () => {
    const c = await connect(`?token=${app.keys.service_role}`);
    const s1 = await c.subscribe('open_items', { event: 'INSERT' }, 'one');
    const s2 = await c.subscribe('open_items', { event: '*' }, 'two');
    const s3 = await c.subscribe('open_items', { event: 'DELETE' }, 'three');
    await sql`insert into public.open_items values (1, 'x', 1)`;
    const f = await c.next((x) => x.type === 'postgres_changes');
    expect(new Set(f.subscription_ids)).toEqual(new Set([s1, s2]));
    expect(f.subscription_ids).not.toContain(s3);
    await sql`insert into public.open_items values (2, 'y', 2)`;
    await c.next((x) => x.type === 'postgres_changes' && x.payload.record.id === 2);
    expect(c.all('postgres_changes')).toHaveLength(2);
  });

  it('evaluates filters on the record, and on the old record for DELETE', async () => {
    const c = await connect(`?token=${app.keys.service_role}`);
    await c.subscribe('open_items', { filter: 'n=gte.10' }, 'big');
    await sql`insert into public.open_items values (10, 'small', 5), (11, 'large', 50)`;
    const f = await c.next((x) => x.type === 'postgres_changes');
    expect(f.payload.record.id).toBe(11);
    await sql`delete from public.open_items where id in (10, 11)`;
    const d = await c.next((x) => x.type === 'postgres_changes');
    expect(d.payload).toMatchObject({ type: 'DELETE', old_record: { id: 11 } });
    await sql`insert into public.open_items values (12, 'last', 99)`;
    await c.next((x) => x.type === 'postgres_changes' && x.payload.record?.id === 12);
    expect(c.all('postgres_changes').map((x) => x.payload.type)).toEqual(['INSERT', 'DELETE', 'INSERT']);
  });

  it('delivers a 1 MB row and nothing from a rolled-back transaction', async () => {
    const c = await connect(`?token=${app.userToken(A)}`);
    await c.subscribe('notes');
    await sql.begin(async (tx) => {
      await tx`insert into public.notes (owner, body) values (${A}, 'rolled back')`;
      throw new Error('rollback');
    }).catch(() => {});
    const big = 'x'.repeat(1_000_000);
    await sql`insert into public.notes (owner, body, big) values (${A}, 'big one', ${big})`;
    const f = await c.next((x) => x.type === 'postgres_changes');
    expect(f.payload.record.body).toBe('big one');
    expect(f.payload.record.big).toHaveLength(1_000_000);
    expect(c.all('postgres_changes')).toHaveLength(1);
  });
});
