// Hardening item 1.7 (docs/realtime.md "Who receives a change"): a subscriber receives a
// change only if its role and claims may SELECT the row (the old row for DELETE), decided by
// one statement per batch for every claim set, cached without ever serving a decision made
// under other claims, other policies or another row. The random test: 100 users, 10,000
// random inserts, updates (ownership moves too) and deletes, zero wrong and zero missed.
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../src/db/index.ts';
import { groupedPredicate, hoistClaimHelpers } from '../src/realtime/engine/predicate.ts';
import { PolicyRlsChecker } from '../src/realtime/engine/rls.ts';
import type { Identity } from '../src/realtime/engine/types.ts';
import { identityOf } from '../src/realtime/protocol/identity.ts';
import type { TestApp, TestDatabase } from './harness/index.ts';
import { enableRealtime, RealtimeHarness, type RtClient, type Frame } from './harness/realtime.ts';

let db: TestDatabase;
let app: TestApp;
let sql: postgres.Sql;
const h = new RealtimeHarness();

const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

const connect = (token: string): Promise<RtClient> => h.connect(`?token=${token}`);

/** Every change frame queued for `c` before now has arrived: a fence ack comes after them (one queue per connection). */
async function fence(c: RtClient): Promise<void> {
  const channel = `fence-${Math.random()}`;
  c.send({ type: 'subscribe', channel });
  await c.next((f) => f.type === 'ack' && f.channel === channel, 30_000);
}

const enable = (table: string, body: Record<string, unknown> = {}) => enableRealtime(app, table, body);

beforeAll(async () => {
  sql = await h.openDatabase();
  db = h.db;
  await sql.unsafe(`
    create table public.docs (id int primary key, owner uuid not null, team int not null default 0, body text);
    alter table public.docs enable row level security;
    create policy docs_owner on public.docs for select using (owner = auth.uid());
    create table public.board (id int primary key, team int not null, body text);
    alter table public.board enable row level security;
    create policy board_team on public.board for select using (team = (auth.jwt() ->> 'team')::int);
    create table public.private_things (id int primary key);
    create function public.is_owner(o uuid) returns boolean language sql stable as 'select o = auth.uid()';
    create table public.owned (id int primary key, owner uuid not null);
    alter table public.owned enable row level security;
    create policy owned_by on public.owned for select using (public.is_owner(owner));
    grant execute on function public.is_owner(uuid) to anon, authenticated;
    create table public.levels (id int primary key, min_level int not null);
    alter table public.levels enable row level security;
    create policy levels_claim on public.levels for select using (min_level <= (auth.jwt() ->> 'level')::int);
    grant select, insert, update, delete on all tables in schema public to anon, authenticated, service_role;
    revoke select on public.private_things from anon, authenticated;
  `);
  app = await h.startApp({ overrides: { realtime: { max_connections_per_ip: 500, notification_queue_size: 20_000 } } });
  for (const t of ['docs', 'board', 'private_things', 'levels', 'owned']) await enable(t);
}, 60_000);

afterAll(() => h.close());

describe('100 users, 10,000 random changes', () => {
  it('delivers each change to exactly the users who may see it, in order, and to no one else', async () => {
    const users = Array.from({ length: 100 }, (_, i) => uuid(i + 1));
    const sockets = await Promise.all(users.map((u) => connect(app.userToken(u))));
    const anon = await connect(app.keys.anon);
    const service = await connect(app.keys.service_role);
    await Promise.all([...sockets, anon, service].map((c) => c.subscribe('docs')));

    // A seeded generator: the same sequence on every run.
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const rows = new Map<number, string>(); // id → owner
    const expected = new Map<string, string[]>(users.map((u) => [u, []]));
    const ops: { text: string; params: (string | number)[] }[] = [];
    let nextId = 1;
    for (let i = 0; i < 10_000; i++) {
      const r = rand(10);
      const ids = [...rows.keys()];
      if (ids.length === 0 || r < 4) {
        const id = nextId++;
        const owner = users[rand(users.length)]!;
        rows.set(id, owner);
        ops.push({ text: 'insert into public.docs (id, owner, body) values ($1, $2, $3)', params: [id, owner, `v${i}`] });
        expected.get(owner)!.push(`INSERT:${id}:v${i}`);
      } else if (r < 8) {
        const id = ids[rand(ids.length)]!;
        // Half the updates move the row to another owner: the new owner sees it, the old does not.
        const owner = r < 6 ? rows.get(id)! : users[rand(users.length)]!;
        rows.set(id, owner);
        ops.push({ text: 'update public.docs set owner = $2, body = $3 where id = $1', params: [id, owner, `v${i}`] });
        expected.get(owner)!.push(`UPDATE:${id}:v${i}`);
      } else {
        const id = ids[rand(ids.length)]!;
        const owner = rows.get(id)!;
        rows.delete(id);
        ops.push({ text: 'delete from public.docs where id = $1', params: [id] });
        expected.get(owner)!.push(`DELETE:${id}:`);
      }
    }
    // Commit in transactions of 100 statements (notifications arrive at each commit, in order).
    for (let i = 0; i < ops.length; i += 100) {
      await sql.begin(async (tx) => {
        for (const op of ops.slice(i, i + 100)) await tx.unsafe(op.text, op.params);
      });
    }
    const keyOf = (f: Frame) => {
      const row = f.payload.type === 'DELETE' ? f.payload.old_record : f.payload.record;
      return `${f.payload.type}:${row.id}:${f.payload.type === 'DELETE' ? '' : row.body}`;
    };
    await service.next(() => service.all('postgres_changes').length >= 10_000, 120_000);
    await app.server.app.realtime.drained();
    await Promise.all([...sockets, anon, service].map((c) => fence(c)));
    let wrong = 0;
    let missed = 0;
    for (let u = 0; u < users.length; u++) {
      const got = sockets[u]!.all('postgres_changes').map(keyOf);
      const want = expected.get(users[u]!)!;
      const wantSet = new Set(want);
      wrong += got.filter((k) => !wantSet.has(k)).length;
      const gotSet = new Set(got);
      missed += want.filter((k) => !gotSet.has(k)).length;
      expect(got, `user ${u}`).toEqual(want); // same changes, same order
    }
    expect({ wrong, missed }).toEqual({ wrong: 0, missed: 0 });
    expect(anon.all('postgres_changes')).toHaveLength(0);
    expect(service.all('postgres_changes')).toHaveLength(10_000);
  }, 240_000);
});

describe('decisions', () => {
  it('follows a policy change at once (DDL invalidates cached decisions)', async () => {
    const u = uuid(500);
    const c = await connect(app.userToken(u, { team: 7 }));
    const observer = await connect(app.keys.service_role);
    await c.subscribe('board');
    await observer.subscribe('board');
    await sql`insert into public.board values (1, 7, 'mine')`;
    expect((await c.next((f) => f.type === 'postgres_changes')).payload.record.id).toBe(1);
    await sql.unsafe(`drop policy board_team on public.board; create policy board_none on public.board for select using (false)`);
    // The same row image again (a no-op update) would hit a cached "visible" decision if DDL did not invalidate it.
    await sql`update public.board set body = 'mine' where id = 1`;
    // Let the update be decided before the next DDL (a policy is read when a change is processed):
    // the service role's copy is sent in the same pass as everyone's.
    await observer.next((f) => f.type === 'postgres_changes' && f.payload.type === 'UPDATE');
    await sql.unsafe(`drop policy board_none on public.board; create policy board_team on public.board for select using (team = (auth.jwt() ->> 'team')::int)`);
    await sql`insert into public.board values (2, 7, 'after')`;
    const next = await c.next((f) => f.type === 'postgres_changes');
    expect(next.payload.record.id).toBe(2); // the UPDATE under the deny-all policy was not delivered
  });

  it('follows a claim change (access_token) and never serves a decision made for other claims', async () => {
    const u = uuid(600);
    const c = await connect(app.userToken(u, { team: 1 }));
    await c.subscribe('board');
    await sql`insert into public.board values (10, 1, 'team one')`;
    expect((await c.next((f) => f.type === 'postgres_changes')).payload.record.id).toBe(10);
    c.send({ type: 'access_token', token: app.userToken(u, { team: 2 }) });
    await c.next((f) => f.type === 'ack' && f.payload.type === 'access_token');
    await sql`update public.board set body = 'team one' where id = 10`; // same image, other claims: not visible now
    await sql`insert into public.board values (11, 2, 'team two')`;
    expect((await c.next((f) => f.type === 'postgres_changes')).payload.record.id).toBe(11);
  });

  it('decides a policy that reads the claims inside a function one claim set at a time, correctly', async () => {
    const users = [uuid(900), uuid(901), uuid(902)];
    const sockets = await Promise.all(users.map((u) => connect(app.userToken(u))));
    for (const c of sockets) await c.subscribe('owned');
    await sql`insert into public.owned values (1, ${users[1]!}), (2, ${users[2]!}), (3, ${users[1]!})`;
    await sockets[2]!.next((f) => f.type === 'postgres_changes');
    await sockets[1]!.next(() => sockets[1]!.all('postgres_changes').length === 2);
    await app.server.app.realtime.drained();
    await Promise.all(sockets.map((c) => fence(c)));
    expect(sockets.map((c) => c.all('postgres_changes').map((f) => f.payload.record.id))).toEqual([[], [1, 3], [2]]);
  });

  it('withholds a change from a subscriber whose claims make the policy raise, and only from it', async () => {
    const good = await connect(app.userToken(uuid(800), { level: '5' }));
    const bad = await connect(app.userToken(uuid(801), { level: 'high' }));
    await good.subscribe('levels');
    await bad.subscribe('levels');
    await sql`insert into public.levels values (1, 3)`;
    expect((await good.next((f) => f.type === 'postgres_changes')).payload.record.id).toBe(1);
    await app.server.app.realtime.drained();
    await fence(bad);
    expect(bad.all('postgres_changes')).toHaveLength(0);
    expect(bad.all('error')).toHaveLength(0);
  });

  it('delivers nothing of a table the role may not SELECT, everything to service_role', async () => {
    const c = await connect(app.userToken(uuid(700)));
    const s = await connect(app.keys.service_role);
    await c.subscribe('private_things');
    await s.subscribe('private_things');
    await sql`insert into public.private_things values (1)`;
    expect((await s.next((f) => f.type === 'postgres_changes')).payload.record.id).toBe(1);
    await app.server.app.realtime.drained();
    await fence(c);
    expect(c.all('postgres_changes')).toHaveLength(0);
  });
});

describe('PolicyRlsChecker', () => {
  it('hoists the claim helpers out of the per-row evaluation, never inside literals', () => {
    expect(hoistClaimHelpers('(owner = auth.uid())')).toBe('(owner = (SELECT auth.uid()))');
    expect(hoistClaimHelpers("((auth.jwt() ->> 'team'::text))::integer = team")).toBe("(((SELECT auth.jwt()) ->> 'team'::text))::integer = team");
    expect(hoistClaimHelpers("note = 'auth.uid()' and x.auth.uid() and \"auth.uid()\"")).toBe("note = 'auth.uid()' and x.auth.uid() and \"auth.uid()\"");
    expect(hoistClaimHelpers("a = 'it''s auth.role()' or auth.role() = 'x'")).toBe("a = 'it''s auth.role()' or (SELECT auth.role()) = 'x'");
  });


  it('decides claim sets together only when the predicate reads the claims through the helpers alone', () => {
    expect(groupedPredicate('(owner OPERATOR(pg_catalog.=) auth.uid())')).toBe('(owner OPERATOR(pg_catalog.=) __fb_c.__fb_uid)');
    expect(groupedPredicate("((auth.jwt() ->> 'team'::text))::integer = team")).toBe("((__fb_c.__fb_jwt ->> 'team'::text))::integer = team");
    expect(groupedPredicate("note = 'auth.uid()' and auth.role() = 'x'")).toBe("note = 'auth.uid()' and __fb_c.__fb_role = 'x'");
    expect(groupedPredicate('lower(name) = pg_catalog.upper(name)')).toBe('lower(name) = pg_catalog.upper(name)');
    for (const other of [
      'public.is_member(team, auth.uid())', // a function of ours may read the settings itself
      '"my schema".f(x)',
      "(EXISTS ( SELECT 1 FROM public.members m WHERE m.uid = auth.uid()))", // the members table's own policies read the settings
      "owner = (current_setting('request.jwt.claim.sub'::text))::uuid",
      'a OPERATOR(public.===) b',
    ]) expect(groupedPredicate(other), other).toBeUndefined();
  });

  it('answers 50 claim sets × 20 rows with one visibility statement, then from the cache', async () => {
    const pool = createPool({ url: db.url, max: 2, min: 0, statementTimeoutMs: 10_000, connectTimeoutMs: 5000, poolWaitTimeoutMs: 5000 });
    let statements = 0;
    const counted = { ...pool, withConnection: <T>(fn: Parameters<typeof pool.withConnection<T>>[0]) => { statements++; return pool.withConnection(fn); } } as typeof pool;
    let now = 1_000_000; // not 0: lru-cache treats a start time of 0 as "no TTL"
    const checker = new PolicyRlsChecker({ pool: counted, cacheSize: 10_000, cacheTtlMs: 30_000, now: () => now });
    const identities: Identity[] = Array.from({ length: 50 }, (_, i) => identityOf({
      kind: 'user', role: 'authenticated', userId: uuid(i + 1), claims: { sub: uuid(i + 1), role: 'authenticated' },
    }, false));
    const rows = Array.from({ length: 20 }, (_, r) => ({ id: 1000 + r, owner: uuid((r % 50) + 1), team: 0, body: null }));
    const all = identities.map(() => rows.map((_, r) => r));
    const visible = await checker.check('public', 'docs', rows, identities, all);
    expect(statements).toBe(2); // the predicate of role authenticated, then one statement for all 1,000 pairs
    for (let i = 0; i < 50; i++) for (let r = 0; r < 20; r++) expect(visible[i]![r]).toBe(r % 50 === i);
    statements = 0;
    await checker.check('public', 'docs', rows, identities, all);
    expect(statements).toBe(0); // all cached
    now += 31_000; // past rls_cache_ttl
    await checker.check('public', 'docs', rows, identities, all);
    expect(statements).toBe(1);
    checker.invalidate();
    statements = 0;
    await checker.check('public', 'docs', rows, identities, all);
    expect(statements).toBe(2);
    await pool.close();
  });
});
