// The change feed (hardening item 2.2, docs/realtime.md "Delivery"): the default two LISTEN
// connections split the 64 channels, so each change is delivered exactly once, in commit
// order per table; a terminated listener reconnects with backoff and clients are told
// (listener_reconnected) without any change delivered twice; tables enabled or disabled on a
// running server take effect through the registry notification.
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelsOf, LISTENER_APPLICATION_NAME } from '../src/realtime/index.ts';
import { eventually } from './harness/auth.ts';
import type { TestApp } from './harness/index.ts';
import { RealtimeHarness, type RtClient, type Frame } from './harness/realtime.ts';

let app: TestApp;
let sql: postgres.Sql;
const h = new RealtimeHarness();
let tables: string[] = [];

const connect = (): Promise<RtClient> => h.connect(`?token=${app.keys.service_role}`);

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return app.fetch(`/api/v1/admin/realtime/tables${path}`, {
    method, headers: { authorization: `Bearer ${app.keys.service_role}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

const keyOf = (f: Frame) => `${f.payload.table}:${f.payload.record.id}`;

beforeAll(async () => {
  sql = await h.openDatabase();
  // Pick table names whose channels fall on both listeners (partition parity with 2 listeners).
  const even: string[] = [];
  const odd: string[] = [];
  for (let i = 0; even.length < 3 || odd.length < 3; i++) {
    const [row] = await sql`select hashtext(${`public.feed_${i}`}) & 63 as p`;
    ((row!.p as number) % 2 === 0 ? even : odd).push(`feed_${i}`);
  }
  tables = [...even.slice(0, 3), ...odd.slice(0, 3)];
  for (const t of [...tables, 'late']) await sql.unsafe(`create table public.${t} (id int primary key, v text)`);
  await sql.unsafe('grant select, insert, update, delete on all tables in schema public to anon, authenticated, service_role');
  app = await h.startApp();
  for (const t of tables) expect((await admin('POST', '', { table: t })).status).toBe(201);
}, 60_000);

afterAll(() => h.close());

describe('listener pool', () => {
  it('gives every partition to exactly one of the listeners', () => {
    const options = { size: 2, partitions: 64, prefix: 'p_', extraChannels: ['x'], everyListener: ['s'] };
    const [a, b] = [channelsOf(0, options), channelsOf(1, options)];
    const parts = (l: string[]) => l.filter((c) => c.startsWith('p_'));
    expect(parts(a).length + parts(b).length).toBe(64);
    expect(parts(a).filter((c) => parts(b).includes(c))).toEqual([]);
    expect(a).toContain('x');
    expect(b).not.toContain('x');
    expect(a).toContain('s');
    expect(b).toContain('s');
  });

  it('runs realtime.listener_pool_size (2) LISTEN connections', async () => {
    const rows = await sql`select count(*)::int as n from pg_stat_activity where application_name = ${LISTENER_APPLICATION_NAME} and datname = current_database()`;
    expect(rows[0]!.n).toBe(2);
  });

  it('delivers each change exactly once, in commit order per table, across both listeners', async () => {
    const c = await connect();
    for (const t of tables) await c.subscribe(t, {}, `all-${t}`);
    for (let i = 1; i <= 50; i++) {
      await sql.begin(async (tx) => {
        for (const t of tables) await tx.unsafe(`insert into public.${t} values ($1, 'v')`, [i]);
      });
    }
    await c.next(() => c.all('postgres_changes').length >= 300, 30_000);
    await app.server.app.realtime.drained();
    c.send({ type: 'subscribe', channel: 'fence' });
    await c.next((f) => f.type === 'ack' && f.channel === 'fence');
    const got = c.all('postgres_changes');
    expect(got).toHaveLength(300);
    expect(new Set(got.map(keyOf)).size).toBe(300);
    for (const t of tables) {
      expect(got.filter((f) => f.payload.table === t).map((f) => f.payload.record.id)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    }
  });
});

describe('faults', () => {
  it('reconnects terminated listeners during a stream: clients are told, nothing is delivered twice, delivery resumes', async () => {
    const c = await connect();
    const t = tables[0]!;
    await c.subscribe(t, {}, 'stream');
    await sql.unsafe(`delete from public.${t}`);
    await sql.unsafe(`insert into public.${t} values (999, 'start')`);
    await c.next((f) => f.type === 'postgres_changes' && f.payload.record?.id === 999); // the feed is live
    const writer = (async () => {
      for (let i = 1000; i < 1300; i++) {
        await sql.unsafe(`insert into public.${t} values ($1, 'x')`, [i]);
        if (i === 1100) {
          await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${LISTENER_APPLICATION_NAME} and datname = current_database()`;
        }
      }
    })();
    const system = await c.next((f) => f.type === 'system', 30_000);
    expect(system.payload).toMatchObject({ event: 'listener_reconnected', since: expect.stringMatching(/^\d{4}-/) });
    await writer;
    // One notice, once both listeners listen again: a change right after it is delivered, whatever its channel.
    expect(c.all('system')).toHaveLength(1);
    await sql.unsafe(`insert into public.${t} values (5000, 'after')`);
    await c.next((f) => f.type === 'postgres_changes' && f.payload.record?.id === 5000, 30_000);
    const ids = c.all('postgres_changes').filter((f) => f.payload.type === 'INSERT' && f.payload.record.id >= 1000).map((f) => f.payload.record.id as number);
    expect(new Set(ids).size).toBe(ids.length); // nothing twice
    expect(ids).toEqual([...ids].sort((a, b) => a - b)); // in order
    expect(ids.filter((id) => id < 1100)).toHaveLength(100); // everything before the fault arrived
    const metrics = await (await app.fetch('/metrics')).text();
    expect(metrics).toMatch(/fluxbase_realtime_listener_reconnects_total [1-9]/);
    // Each listener reconnects on its own backoff; both come back.
    expect(await eventually(async () => {
      const rows = await sql`select count(*)::int as n from pg_stat_activity where application_name = ${LISTENER_APPLICATION_NAME} and datname = current_database()`;
      return rows[0]!.n === 2;
    })).toBe(true);
    expect((await app.fetch('/health')).status).toBe(200);
  }, 60_000);
});

describe('registry', () => {
  it('picks up a table enabled and disabled while the server runs', async () => {
    const c = await connect();
    expect((await c.request({ type: 'subscribe', channel: 'late', config: { table: 'late' } })).code).toBe('TABLE_NOT_ENABLED');
    expect((await admin('POST', '', { table: 'late' })).status).toBe(201);
    // The registry notification reaches the engine asynchronously: retry the subscribe until it is accepted.
    let ack: Frame | undefined;
    for (let i = 0; i < 100 && ack?.type !== 'ack'; i++) ack = await c.request({ type: 'subscribe', channel: 'late', config: { table: 'late' } });
    expect(ack?.type).toBe('ack');
    await sql`insert into public.late values (1, 'a')`;
    expect((await c.next((f) => f.type === 'postgres_changes')).payload.record.id).toBe(1);
    expect((await admin('DELETE', '/public/late')).status).toBe(200);
    await sql`insert into public.late values (2, 'b')`;
    await sql.unsafe(`insert into public.${tables[1]} values (9999, 'marker')`);
    await c.subscribe(tables[1]!, {}, 'marker');
    await sql.unsafe(`insert into public.${tables[1]} values (10000, 'marker')`);
    await c.next((f) => f.type === 'postgres_changes' && f.payload.record?.id === 10000);
    expect(c.all('postgres_changes').filter((f) => f.payload.table === 'late')).toHaveLength(1);
  });
});
