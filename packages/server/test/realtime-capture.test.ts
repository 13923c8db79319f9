// Change capture (docs/realtime.md "Enabling a table") against a real database: what the
// trigger of migrations/010_realtime.up.sql sends for each kind of change, on which
// channel, only for the enabled events; a 1 MB row written fine and sent by reference to
// the side table; nothing from a rolled-back transaction; writes under RLS as
// `authenticated`; the registry the engine reads; the down migration.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrateDown, migrateUp } from '../src/db/index.ts';
import {
  CHANGE_CHANNEL_PREFIX, changeChannels, deleteOldPayloads, disableTable, enableTable, fetchLargePayload, getTable, listTables,
  loadEnabled, REGISTRY_CHANNEL, updateTable,
} from '../src/realtime/capture/index.ts';
import { createTestDatabase, type TestDatabase } from './harness/index.ts';

type Json = Record<string, unknown>;

/** Notifications as they arrive, taken per table in arrival order. */
class Inbox {
  private notes: { channel: string; body: Json }[] = [];
  private wake: (() => void)[] = [];

  push(channel: string, payload: string): void {
    this.notes.push({ channel, body: JSON.parse(payload) as Json });
    for (const w of this.wake.splice(0)) w();
  }

  /** The next notification about `table` (and the channel it came on). */
  async next(table: string, timeoutMs = 10_000): Promise<{ channel: string; body: Json }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.notes.findIndex((n) => n.body.table === table);
      if (i >= 0) return this.notes.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no notification for ${table} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Notifications about `table` not taken yet. */
  waiting(table: string): Json[] {
    return this.notes.filter((n) => n.body.table === table).map((n) => n.body);
  }
}

let db: TestDatabase;
let listener: postgres.Sql;
const inbox = new Inbox();
const registryNotes: string[] = [];

const USER = '11111111-1111-4111-8111-111111111111';
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The channel the trigger picks for a table, computed by PostgreSQL as the trigger does. */
async function channelOf(schema: string, table: string): Promise<string> {
  const [row] = await db.sql<{ n: number }[]>`select hashtext(${`${schema}.${table}`}) & 63 as n`;
  return `${CHANGE_CHANNEL_PREFIX}${row!.n}`;
}

/** The statement time of a write, rendered as the trigger renders it. */
const STMT_TIME = `to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ts`;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe(`
    create table public.items (id serial primary key, name text not null, secret text, tags text[] default '{}', meta jsonb);
    create table public.only_inserts (id serial primary key, name text);
    create table public.big (id serial primary key, body text);
    create table public.notes (id serial primary key, owner_id uuid not null, body text);
    alter table public.notes enable row level security;
    create policy notes_own on public.notes for all to authenticated using (owner_id = auth.uid()) with check (owner_id = auth.uid());
    create table public.regions (id int not null, region text not null) partition by list (region);
    create table public.regions_eu partition of public.regions for values in ('eu');
    create table public.regions_us partition of public.regions for values in ('us');
    create view public.items_view as select id, name from public.items;`);
  listener = postgres(db.url, { max: 1, onnotice: () => {} });
  for (const channel of changeChannels()) await listener.listen(channel, (payload) => inbox.push(channel, payload));
  await listener.listen(REGISTRY_CHANNEL, (payload) => registryNotes.push(payload));
  await enableTable(db.sql, { schema: 'public', table: 'items' });
  await enableTable(db.sql, { schema: 'public', table: 'only_inserts', events: ['INSERT'] });
  await enableTable(db.sql, { schema: 'public', table: 'big' });
  await enableTable(db.sql, { schema: 'public', table: 'notes' });
  await enableTable(db.sql, { schema: 'public', table: 'regions', exclude: ['region'] });
});

afterAll(async () => {
  await listener?.end({ timeout: 1 });
  await db?.drop();
});

describe('what the trigger sends', () => {
  it('has 64 channels, fluxbase_realtime_0 to fluxbase_realtime_63', () => {
    const channels = changeChannels();
    expect(channels).toHaveLength(64);
    expect(channels[0]).toBe('fluxbase_realtime_0');
    expect(channels[63]).toBe('fluxbase_realtime_63');
  });

  it('sends INSERT with the full row (excluded columns too) and no old_record, on the table\'s channel', async () => {
    const [w] = await db.sql<{ ts: string }[]>`
      insert into public.items (name, secret, meta) values ('first', 's3cret', '{"a": [1, 2]}') returning ${db.sql.unsafe(STMT_TIME)}`;
    const note = await inbox.next('items');
    expect(note.channel).toBe(await channelOf('public', 'items'));
    expect(note.body).toEqual({
      schema: 'public', table: 'items', type: 'INSERT', commit_timestamp: w!.ts,
      record: { id: 1, name: 'first', secret: 's3cret', tags: [], meta: { a: [1, 2] } },
    });
    expect(note.body).not.toHaveProperty('old_record');
    expect(note.body.commit_timestamp).toMatch(TIMESTAMP);
  });

  it('sends UPDATE with the new record and the old_record', async () => {
    const [w] = await db.sql<{ ts: string }[]>`update public.items set name = 'renamed', tags = '{x}' where id = 1 returning ${db.sql.unsafe(STMT_TIME)}`;
    const note = await inbox.next('items');
    expect(note.body).toEqual({
      schema: 'public', table: 'items', type: 'UPDATE', commit_timestamp: w!.ts,
      record: { id: 1, name: 'renamed', secret: 's3cret', tags: ['x'], meta: { a: [1, 2] } },
      old_record: { id: 1, name: 'first', secret: 's3cret', tags: [], meta: { a: [1, 2] } },
    });
  });

  it('sends DELETE with record null and the old_record', async () => {
    const [w] = await db.sql<{ ts: string }[]>`delete from public.items where id = 1 returning ${db.sql.unsafe(STMT_TIME)}`;
    const note = await inbox.next('items');
    expect(note.body).toEqual({
      schema: 'public', table: 'items', type: 'DELETE', commit_timestamp: w!.ts,
      record: null,
      old_record: { id: 1, name: 'renamed', secret: 's3cret', tags: ['x'], meta: { a: [1, 2] } },
    });
  });

  it('sends one notification per row, in statement order', async () => {
    await db.sql`insert into public.items (name) values ('a'), ('b'), ('c')`;
    const names = [];
    for (let i = 0; i < 3; i++) names.push(((await inbox.next('items')).body.record as Json).name);
    expect(names).toEqual(['a', 'b', 'c']);
  });

  it('fires only the enabled events', async () => {
    await db.sql`insert into public.only_inserts (name) values ('one')`;
    await db.sql`update public.only_inserts set name = 'changed'`;
    await db.sql`delete from public.only_inserts`;
    await db.sql`insert into public.only_inserts (name) values ('marker')`;
    // Notifications of one channel arrive in commit order: an UPDATE or DELETE would come
    // between the two INSERTs.
    expect((await inbox.next('only_inserts')).body).toMatchObject({ type: 'INSERT', record: { name: 'one' } });
    expect((await inbox.next('only_inserts')).body).toMatchObject({ type: 'INSERT', record: { name: 'marker' } });
    expect(inbox.waiting('only_inserts')).toEqual([]);
  });

  it('reports a partitioned table\'s changes under the parent\'s name and channel', async () => {
    await db.sql`insert into public.regions (id, region) values (1, 'eu'), (2, 'us')`;
    const a = await inbox.next('regions');
    const b = await inbox.next('regions');
    expect(a.channel).toBe(await channelOf('public', 'regions'));
    expect([a.body, b.body]).toMatchObject([
      { schema: 'public', table: 'regions', type: 'INSERT', record: { id: 1, region: 'eu' } },
      { table: 'regions', record: { id: 2, region: 'us' } },
    ]);
    expect(inbox.waiting('regions_eu')).toEqual([]);
  });
});

describe('rolled-back transactions', () => {
  it('emit nothing: a later committed change arrives and the rolled-back one never does', async () => {
    await db.sql.begin(async (tx) => {
      await tx`insert into public.items (name) values ('ghost')`;
      await tx`savepoint s`; // a savepoint does not matter: the whole transaction goes
      throw new Error('roll back');
    }).catch(() => {});
    await db.sql.begin(async (tx) => {
      await tx`insert into public.items (name) values ('ghost-in-savepoint')`;
      await tx`savepoint s`;
      await tx`insert into public.items (name) values ('ghost-rolled-to-savepoint')`;
      await tx`rollback to savepoint s`;
      await tx`insert into public.items (name) values ('kept')`;
    });
    await db.sql`insert into public.items (name) values ('committed')`;
    // Delivery follows commit order on one channel: anything of the rolled-back work would
    // have arrived before these.
    const names = [];
    for (let i = 0; i < 3; i++) names.push(((await inbox.next('items')).body.record as Json).name);
    expect(names).toEqual(['ghost-in-savepoint', 'kept', 'committed']);
    expect(inbox.waiting('items')).toEqual([]);
  });

  it('leave no side-table row behind for a large change', async () => {
    const [before] = await db.sql<{ n: number }[]>`select count(*)::int as n from realtime.change_payloads`;
    await db.sql.begin(async (tx) => {
      await tx`insert into public.big (body) values (repeat('g', 20000))`;
      throw new Error('roll back');
    }).catch(() => {});
    await db.sql`insert into public.big (body) values ('small')`;
    expect((await inbox.next('big')).body).toMatchObject({ type: 'INSERT', record: { body: 'small' } });
    const [after] = await db.sql<{ n: number }[]>`select count(*)::int as n from realtime.change_payloads`;
    expect(after!.n).toBe(before!.n);
  });
});

describe('changes too large for NOTIFY', () => {
  it('writes a 1 MB row and sends a reference whose payload is the full change', async () => {
    const [w] = await db.sql<{ id: number; ts: string }[]>`
      insert into public.big (body) values (repeat('x', 1000000)) returning id, ${db.sql.unsafe(STMT_TIME)}`;
    const note = await inbox.next('big');
    expect(note.channel).toBe(await channelOf('public', 'big'));
    expect(Object.keys(note.body).sort()).toEqual(['ref', 'schema', 'table', 'type']);
    expect(note.body).toMatchObject({ schema: 'public', table: 'big', type: 'INSERT', ref: expect.any(Number) });
    const full = await fetchLargePayload(db.sql, note.body.ref as number);
    expect(full).toEqual({
      schema: 'public', table: 'big', type: 'INSERT', commit_timestamp: w!.ts, record: { id: w!.id, body: 'x'.repeat(1_000_000) },
    });
  });

  it('sends an UPDATE of a large row by reference too, with both rows', async () => {
    await db.sql`update public.big set body = repeat('y', 500000) where body like 'x%'`;
    const note = await inbox.next('big');
    expect(note.body).toMatchObject({ type: 'UPDATE', ref: expect.any(Number) });
    const full = await fetchLargePayload(db.sql, String(note.body.ref));
    expect((full!.record as Json).body).toBe('y'.repeat(500_000));
    expect((full!.old_record as Json).body).toBe('x'.repeat(1_000_000));
  });

  it('sends inline up to the 7900-byte threshold and by reference above it', async () => {
    // The payload's text without the body (ids of the same width as the rows below).
    const [row] = await db.sql<{ n: number }[]>`
      select octet_length(jsonb_build_object('schema', 'public', 'table', 'big', 'type', 'INSERT',
        'commit_timestamp', '2026-01-01T00:00:00.000Z', 'record', jsonb_build_object('id', 900001, 'body', ''))::text)::int as n`;
    const fits = 7900 - row!.n;
    await db.sql`insert into public.big (id, body) values (900001, repeat('i', ${fits})), (900002, repeat('r', ${fits + 1}))`;
    const inline = await inbox.next('big');
    expect(inline.body).not.toHaveProperty('ref');
    expect((inline.body.record as Json).body).toBe('i'.repeat(fits));
    const byRef = await inbox.next('big');
    expect(byRef.body).toMatchObject({ ref: expect.any(Number), type: 'INSERT' });
    expect(await fetchLargePayload(db.sql, byRef.body.ref as number)).toMatchObject({ record: { id: 900002, body: 'r'.repeat(fits + 1) } });
  });

  it('returns undefined for an unknown or deleted reference', async () => {
    expect(await fetchLargePayload(db.sql, 987654321)).toBeUndefined();
  });

  it('deletes stored payloads older than the given age only', async () => {
    await db.sql`insert into public.big (body) values (repeat('o', 10000))`;
    const old = await inbox.next('big');
    await db.sql`update realtime.change_payloads set created_at = now() - interval '10 minutes' where id <= ${old.body.ref as number}`;
    await db.sql`insert into public.big (body) values (repeat('n', 10000))`;
    const fresh = await inbox.next('big');
    const [counted] = await db.sql<{ older: number }[]>`select count(*)::int as older from realtime.change_payloads where created_at < now() - interval '5 minutes'`;
    const older = counted!.older;
    expect(older).toBeGreaterThanOrEqual(1);
    expect(await deleteOldPayloads(db.sql, 300)).toBe(older);
    expect(await fetchLargePayload(db.sql, old.body.ref as number)).toBeUndefined();
    expect(await fetchLargePayload(db.sql, fresh.body.ref as number)).toMatchObject({ record: { body: 'n'.repeat(10000) } });
    expect(await deleteOldPayloads(db.sql, 300)).toBe(0);
  });
});

describe('writes by the request roles', () => {
  /** Run `fn` as role `authenticated` with the user's claims, as a REST request does. */
  const asUser = <T>(fn: (tx: postgres.TransactionSql) => Promise<T>) => db.sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify({ sub: USER, role: 'authenticated' })}, true),
                    set_config('request.jwt.claim.sub', ${USER}, true)`;
    return fn(tx);
  });

  it('fire the trigger under RLS as authenticated, for small and large rows', async () => {
    await asUser((tx) => tx`insert into public.notes (owner_id, body) values (${USER}, 'mine')`);
    expect((await inbox.next('notes')).body).toMatchObject({ type: 'INSERT', record: { owner_id: USER, body: 'mine' } });
    await asUser((tx) => tx`insert into public.notes (owner_id, body) values (${USER}, repeat('z', 100000))`);
    const big = await inbox.next('notes');
    expect(big.body).toHaveProperty('ref');
    expect(await fetchLargePayload(db.sql, big.body.ref as number)).toMatchObject({ record: { owner_id: USER } });
    await asUser((tx) => tx`update public.notes set body = 'edited' where body = 'mine'`);
    expect((await inbox.next('notes')).body).toMatchObject({ type: 'UPDATE', record: { body: 'edited' }, old_record: { body: 'mine' } });
  });

  it('cannot read the side table or the registry themselves', async () => {
    await expect(asUser((tx) => tx`select * from realtime.change_payloads`)).rejects.toMatchObject({ code: '42501' });
    await expect(db.sql.begin(async (tx) => {
      await tx`set local role anon`;
      return tx`select * from realtime.schema_registry`;
    })).rejects.toMatchObject({ code: '42501' });
  });

  it('the pool role (the authenticator) reads the registry and reads and deletes side rows', async () => {
    await db.sql`insert into public.big (body) values (repeat('p', 9000))`;
    const note = await inbox.next('big');
    await db.sql.begin(async (tx) => {
      await tx`set local role fluxbase_authenticator`;
      expect((await loadEnabled(tx)).map((t) => t.table)).toContain('big');
      expect(await fetchLargePayload(tx, note.body.ref as number)).toMatchObject({ record: { body: 'p'.repeat(9000) } });
      expect(await deleteOldPayloads(tx, 0)).toBeGreaterThanOrEqual(0);
    });
  });
});

describe('the registry', () => {
  it('lists what the engine needs, and notifies on each change', async () => {
    const enabled = await loadEnabled(db.sql);
    expect(enabled).toEqual([
      { schema: 'public', table: 'big', events: ['INSERT', 'UPDATE', 'DELETE'], excluded: [] },
      { schema: 'public', table: 'items', events: ['INSERT', 'UPDATE', 'DELETE'], excluded: [] },
      { schema: 'public', table: 'notes', events: ['INSERT', 'UPDATE', 'DELETE'], excluded: [] },
      { schema: 'public', table: 'only_inserts', events: ['INSERT'], excluded: [] },
      { schema: 'public', table: 'regions', events: ['INSERT', 'UPDATE', 'DELETE'], excluded: ['region'] },
    ]);
    const before = registryNotes.length;
    const updated = await updateTable(db.sql, { schema: 'public', table: 'only_inserts', events: ['DELETE', 'INSERT', 'DELETE'], exclude: ['name'] });
    expect(updated).toMatchObject({ events: ['INSERT', 'DELETE'], excluded_columns: ['name'], realtime_enabled: true });
    await db.sql`insert into public.only_inserts (name) values ('after update')`;
    await db.sql`delete from public.only_inserts where name = 'after update'`;
    expect((await inbox.next('only_inserts')).body).toMatchObject({ type: 'INSERT' });
    expect((await inbox.next('only_inserts')).body).toMatchObject({ type: 'DELETE' });
    // The registry notification is sent at commit, before the writes that followed it.
    expect(registryNotes.length).toBe(before + 1);
    expect(registryNotes.at(-1)).toBe('');
  });

  it('sends nothing for a refused enable, one notification per committed change', async () => {
    const before = registryNotes.length;
    await db.sql.unsafe('create table public.never (id int)');
    await expect(enableTable(db.sql, { schema: 'public', table: 'never', exclude: ['nope'] })).rejects.toMatchObject({ code: 'UNKNOWN_COLUMN' });
    await enableTable(db.sql, { schema: 'public', table: 'never' });
    await disableTable(db.sql, { schema: 'public', table: 'never' });
    await db.sql`insert into public.items (name) values ('sync')`;
    await inbox.next('items');
    expect(registryNotes.length).toBe(before + 2);
  });

  it('treats a dropped table as not enabled, and lets its entry be removed', async () => {
    await db.sql.unsafe('create table public.doomed (id int)');
    await enableTable(db.sql, { schema: 'public', table: 'doomed' });
    await db.sql.unsafe('drop table public.doomed');
    expect((await loadEnabled(db.sql)).map((t) => t.table)).not.toContain('doomed');
    expect((await listTables(db.sql, { enabledOnly: false })).find((t) => t.table === 'doomed')).toMatchObject({ realtime_enabled: false });
    await expect(getTable(db.sql, { schema: 'public', table: 'doomed' })).rejects.toMatchObject({ status: 404 });
    expect(await disableTable(db.sql, { schema: 'public', table: 'doomed' })).toEqual({ wasEnabled: false });
    await expect(disableTable(db.sql, { schema: 'public', table: 'doomed' })).rejects.toMatchObject({ status: 404 });
  });

  it('refuses views, internal schemas and unknown tables', async () => {
    await expect(enableTable(db.sql, { schema: 'public', table: 'items_view' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('is a view') });
    await expect(enableTable(db.sql, { schema: 'auth', table: 'users' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(enableTable(db.sql, { schema: 'pg_catalog', table: 'pg_class' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(enableTable(db.sql, { schema: 'public', table: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    await expect(enableTable(db.sql, { schema: 'public', table: 'items', events: [] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('quotes names: a table called "odd ""name"" ; drop" works', async () => {
    await db.sql.unsafe('create table public."odd ""name"" ; drop" (id int)');
    await enableTable(db.sql, { schema: 'public', table: 'odd "name" ; drop' });
    await db.sql.unsafe('insert into public."odd ""name"" ; drop" values (7)');
    expect((await inbox.next('odd "name" ; drop')).body).toMatchObject({ type: 'INSERT', record: { id: 7 } });
    await disableTable(db.sql, { schema: 'public', table: 'odd "name" ; drop' });
    const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from pg_trigger where tgname = 'fluxbase_realtime_capture' and tgrelid = 'public."odd ""name"" ; drop"'::regclass`;
    expect(left!.n).toBe(0);
  });
});

describe('migration 010', () => {
  it('reverts cleanly, dropping the triggers it installed, and applies again', async () => {
    const fresh = await createTestDatabase({ template: false });
    try {
      const migrations = loadMigrations();
      await migrateUp(fresh.sql, migrations);
      await fresh.sql.unsafe('create table public.t (id int)');
      await enableTable(fresh.sql, { schema: 'public', table: 't' });
      const steps = migrations.filter((m) => m.version >= 10).length;
      await migrateDown(fresh.sql, migrations, steps);
      const [gone] = await fresh.sql<{ fn: string | null; registry: string | null; triggers: number }[]>`
        select to_regprocedure('realtime.capture_change()')::text as fn, to_regclass('realtime.schema_registry')::text as registry,
               (select count(*)::int from pg_trigger where tgname = 'fluxbase_realtime_capture') as triggers`;
      expect(gone).toEqual({ fn: null, registry: null, triggers: 0 });
      await fresh.sql`insert into public.t values (1)`; // the table works without its trigger
      expect((await migrateUp(fresh.sql, migrations)).applied.length).toBe(steps);
    } finally {
      await fresh.drop();
    }
  });
});
