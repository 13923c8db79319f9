// GraphQL subscriptions (item 4.3, API.md §13 "Subscriptions"): graphql-transport-ws clients
// (graphql-ws createClient over `ws`) at /api/v1/graphql of the real app, against a real
// database, receive the generated `<list>Changes` fields fed by the realtime engine: the same
// capture, RLS, filters, connection limits and token expiry as /realtime; subscriptions end on
// complete and on disconnect, and 1,000 connect/subscribe/disconnect cycles leave nothing
// behind in the engine.
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { FeedConnection, FeedEvent } from '../src/graphql/feed.ts';
import { changeStream } from '../src/graphql/subscriptions.ts';
import { signJwt } from '../src/http/index.ts';
import type { RealtimeEngine } from '../src/realtime/index.ts';
import { TEST_JWT_SECRET, type TestApp } from './harness/index.ts';
import { enableRealtime, RealtimeHarness, RtClient } from './harness/realtime.ts';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';

const h = new RealtimeHarness();
let app: TestApp;
let sql: postgres.Sql;
let engine: RealtimeEngine;
let wsUrl: string;
const clients: Client[] = [];

// ── client helpers ──

function client(connectionParams: Record<string, unknown> | undefined, options: { lazy?: boolean; onClosed?: (code: number, reason: string) => void; query?: string } = {}): Client {
  const c = createClient({
    url: `${wsUrl}${options.query ?? ''}`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: options.lazy ?? true, onNonLazyError: () => {}, // closes are asserted through on.closed
    ...(connectionParams ? { connectionParams } : {}),
    on: { closed: (e) => options.onClosed?.((e as { code: number }).code, String((e as { reason?: unknown }).reason ?? '')) },
  });
  clients.push(c);
  return c;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

type Row = { id: number; owner?: string; status?: string; body?: string; secret?: string | null } | null;
type Change = { type: string; record: Row; oldRecord: Row; commitTimestamp: string };

/** One subscription's results as they arrive, with waits on them. */
class Sub {
  readonly results: FormattedExecutionResult<Record<string, Change>, unknown>[] = [];
  error: unknown;
  completed = false;
  private waiters: (() => void)[] = [];
  readonly dispose: () => void;

  constructor(c: Client, query: string, variables: Record<string, unknown> = {}) {
    const wake = () => {
      for (const w of this.waiters.splice(0)) w();
    };
    this.dispose = c.subscribe<Record<string, Change>>({ query, variables }, {
      next: (r) => {
        this.results.push(r);
        wake();
      },
      error: (e) => {
        this.error = e;
        wake();
      },
      complete: () => {
        this.completed = true;
        wake();
      },
    });
  }

  get changes(): Change[] {
    return this.results.flatMap((r) => (r.data ? Object.values(r.data) : []));
  }

  async until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; results ${JSON.stringify(this.results)}, error ${String(this.error)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for the n-th change (1-based) and returns the changes so far. */
  async count(n: number): Promise<Change[]> {
    await this.until(() => this.changes.length >= n || this.error !== undefined || this.completed, `${n} changes`);
    return this.changes;
  }
}

const ITEMS = 'subscription($filter: ItemsFilter, $events: [ChangeEvent!]) { itemsChanges(filter: $filter, events: $events) { type commitTimestamp record { id owner status body secret } oldRecord { id status } } }';

/** Polls `check` (every turn of the event loop when `stepMs` is 0). */
async function eventually(check: () => boolean, what: string, timeoutMs = 5_000, stepMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => (stepMs === 0 ? setImmediate(r) : setTimeout(r, stepMs)));
  }
}

/** The engine holds exactly `n` subscriptions (the subscribe message was handled). */
const subscriptions = (n: number) => eventually(() => engine.subscriptionCount === n, `${n} engine subscriptions (now ${engine.subscriptionCount})`);

function closedWith(connectionParams: Record<string, unknown> | undefined): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    client(connectionParams, { lazy: false, onClosed: (code, reason) => resolve({ code, reason }) });
  });
}

beforeAll(async () => {
  sql = await h.openDatabase();
  await sql.unsafe(`
    create table public.items (id int primary key, owner uuid, status text, body text, secret text, parent_id int references public.items (id));
    alter table public.items enable row level security;
    create policy items_owner on public.items for select using (owner = auth.uid() or owner is null);
    create table public.others (id int primary key);
    grant select, insert, update, delete on all tables in schema public to anon, authenticated, service_role;
  `);
  app = await h.startApp({ overrides: { realtime: { max_connections_per_user: 3 }, auth: { jwt_leeway: '0s' }, graphql: { max_depth: 5 } } });
  await enableRealtime(app, 'items', { exclude: ['secret'] });
  engine = app.server.app.realtime;
  wsUrl = `${app.url.replace(/^http/, 'ws')}/api/v1/graphql`;
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await h.close();
});

let nextId = 1;
const id = () => nextId++;

describe('deliveries', () => {
  it('delivers INSERT, UPDATE and DELETE with record, oldRecord and commitTimestamp; excluded columns removed', async () => {
    const s = new Sub(client(bearer(app.keys.service_role)), ITEMS);
    await subscriptions(1);
    const n = id();
    await sql`insert into public.items (id, status, body, secret) values (${n}, 'open', 'hello', 's3cret')`;
    await sql`update public.items set status = 'closed' where id = ${n}`;
    await sql`delete from public.items where id = ${n}`;
    const got = await s.count(3);
    expect(got.map((c) => c.type)).toEqual(['INSERT', 'UPDATE', 'DELETE']);
    expect(got[0]!.record).toEqual({ id: n, owner: null, status: 'open', body: 'hello', secret: null });
    expect(got[0]!.oldRecord).toBeNull();
    expect(got[1]!.record!.status).toBe('closed');
    expect(got[1]!.oldRecord).toEqual({ id: n, status: 'open' });
    expect(got[2]!.record).toBeNull();
    expect(got[2]!.oldRecord).toEqual({ id: n, status: 'closed' });
    expect(new Date(got[0]!.commitTimestamp).getTime()).not.toBeNaN();
    s.dispose();
    await subscriptions(0);
  });

  it('applies RLS: a user receives only the rows it may select', async () => {
    const a = new Sub(client(bearer(app.userToken(A))), ITEMS);
    const b = new Sub(client({ token: app.userToken(B) }), ITEMS); // the {token} form
    await subscriptions(2);
    const [a1, b1, a2, b2] = [id(), id(), id(), id()];
    await sql`insert into public.items (id, owner, body) values (${a1}, ${A}, 'a1')`;
    await sql`insert into public.items (id, owner, body) values (${b1}, ${B}, 'b1')`;
    await sql`insert into public.items (id, owner, body) values (${a2}, ${A}, 'a2')`;
    await sql`insert into public.items (id, owner, body) values (${b2}, ${B}, 'b2')`;
    // Deliveries of one table reach a connection in commit order: the last row of each user fences the others.
    expect((await a.count(2)).map((c) => c.record!.body)).toEqual(['a1', 'a2']);
    expect((await b.count(2)).map((c) => c.record!.body)).toEqual(['b1', 'b2']);
    a.dispose();
    b.dispose();
    await subscriptions(0);
  });

  it('takes credentials from the upgrade (?token=) without a connection_init payload, and Authorization over apikey', async () => {
    const byQuery = new Sub(client(undefined, { query: `?token=${app.userToken(A)}` }), ITEMS);
    // The docs' form: the anon key as apikey plus the user's token; the identity is the token's.
    const both = new Sub(client({ apikey: app.keys.anon, ...bearer(app.userToken(B)) }), ITEMS);
    await subscriptions(2);
    const [b1, a1] = [id(), id()];
    await sql`insert into public.items (id, owner, body) values (${b1}, ${B}, 'b1')`;
    await sql`insert into public.items (id, owner, body) values (${a1}, ${A}, 'a1')`;
    expect((await byQuery.count(1)).map((c) => c.record!.body)).toEqual(['a1']);
    expect((await both.count(1)).map((c) => c.record!.body)).toEqual(['b1']);
    byQuery.dispose();
    both.dispose();
    await subscriptions(0);
  });

  it('restricts deliveries by the filter and by events', async () => {
    const c = client({ apikey: app.keys.service_role }); // the {apikey} form
    const open = new Sub(c, ITEMS, { filter: { status_eq: 'open' } });
    const deletes = new Sub(c, ITEMS, { events: ['DELETE'] });
    const insertsAndDeletes = new Sub(c, ITEMS, { events: ['INSERT', 'DELETE'] });
    await subscriptions(3);
    const [x, y] = [id(), id()];
    await sql`insert into public.items (id, status) values (${x}, 'closed')`;
    await sql`insert into public.items (id, status) values (${y}, 'open')`;
    await sql`update public.items set body = 'changed' where id = ${x}`;
    await sql`delete from public.items where id = ${x}`;
    await sql`update public.items set status = 'open', body = 'last' where id = ${y}`;
    expect((await open.count(2)).map((ch) => `${ch.type}:${ch.record!.id}`)).toEqual([`INSERT:${y}`, `UPDATE:${y}`]);
    expect((await deletes.count(1)).map((ch) => `${ch.type}:${ch.oldRecord!.id}`)).toEqual([`DELETE:${x}`]);
    expect((await insertsAndDeletes.count(3)).map((ch) => ch.type)).toEqual(['INSERT', 'INSERT', 'DELETE']);
    // Nothing more arrives after the last matching change (the UPDATE of y went to `open` only).
    await open.count(2);
    expect(deletes.changes).toHaveLength(1);
    expect(insertsAndDeletes.changes).toHaveLength(3);
    for (const s of [open, deletes, insertsAndDeletes]) s.dispose();
    await subscriptions(0);
  });
});

describe('errors', () => {
  it('a table not enabled for realtime is an error on that subscription; the connection stays usable', async () => {
    const c = client(bearer(app.keys.service_role));
    const bad = new Sub(c, 'subscription { othersChanges { type } }');
    // Excluded columns cannot be filtered on (a filter would leak what the exclusion hides).
    const badFilter = new Sub(c, ITEMS, { filter: { secret_eq: 'x' } });
    // Refusals arrive as `error` messages (graphql-ws: the error sink), like validation failures.
    for (const s of [bad, badFilter]) await s.until(() => s.error !== undefined, 'the refusal');
    expect(bad.error).toEqual([{ message: 'Table public.others is not enabled for realtime', extensions: { code: 'TABLE_NOT_ENABLED' } }]);
    expect((bad.error as { extensions: { code: string } }[])[0]!.extensions.code).toBe('TABLE_NOT_ENABLED');
    expect((badFilter.error as { extensions: { code: string } }[])[0]!.extensions.code).toBe('INVALID_FILTER');
    expect(bad.results).toEqual([]);
    const good = new Sub(c, ITEMS);
    await subscriptions(1);
    const n = id();
    await sql`insert into public.items (id) values (${n})`;
    expect((await good.count(1))[0]!.record!.id).toBe(n);
    good.dispose();
    await subscriptions(0);
  });

  it('checks depth through fragments, validation, and sends queries to POST', async () => {
    const c = client(bearer(app.keys.service_role));
    const deep = new Sub(c, 'subscription { itemsChanges { record { ...F } } } fragment F on Items { parent { parent { parent { id } } } }');
    const invalid = new Sub(c, 'subscription { itemsChanges { nope } }');
    const query = new Sub(c, '{ items { id } }');
    for (const s of [deep, invalid, query]) await s.until(() => s.error !== undefined, 'an error');
    const code = (s: Sub) => (s.error as { extensions?: { code?: string } }[])[0]!.extensions?.code;
    expect([code(deep), code(invalid), code(query)]).toEqual(['GRAPHQL_DEPTH_LIMIT', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_VALIDATION_FAILED']);
    expect(engine.subscriptionCount).toBe(0);
  });

  it('closes a connection_init with a bad credential with 4403', async () => {
    expect((await closedWith(bearer('not-a-jwt'))).code).toBe(4403);
    const expired = signJwt({ sub: A, role: 'authenticated', exp: Math.floor(Date.now() / 1000) - 60 }, TEST_JWT_SECRET);
    const closed = await closedWith({ token: expired });
    expect(closed).toMatchObject({ code: 4403 });
    expect(closed.reason).toMatch(/EXPIRED_TOKEN/);
    // Both credentials must be valid: a good apikey does not rescue a bad Authorization (API.md §2.1).
    expect((await closedWith({ apikey: app.keys.anon, ...bearer(expired) })).code).toBe(4403);
    expect(engine.connections.size).toBe(0);
  });

  it('applies the per-user connection limit, shared with /realtime (1008)', async () => {
    const token = app.userToken(C);
    const first = client(bearer(token), { lazy: false });
    const second = client(bearer(token), { lazy: false });
    await Promise.all([first, second].map((c) => new Promise<void>((resolve) => c.on('connected', () => resolve()))));
    const rt = await RtClient.connect(app.url, `?token=${token}`); // the third slot: realtime's own socket
    const refused = await closedWith(bearer(token));
    expect(refused.code).toBe(1008);
    expect(refused.reason).toMatch(/at most 3 connections per user/);
    await rt.close();
    await first.dispose();
    await eventually(() => engine.connections.size === 1, 'two connections gone');
    const again = client(bearer(token), { lazy: false });
    await new Promise<void>((resolve) => again.on('connected', () => resolve()));
    await second.dispose();
    await again.dispose();
    await eventually(() => engine.connections.size === 0, 'no connections');
  });

  it('closes with 4403 when the token expires (graphql-ws clients reconnect with a fresh one)', async () => {
    const short = signJwt({ sub: A, role: 'authenticated', exp: Math.floor(Date.now() / 1000) + 2 }, TEST_JWT_SECRET);
    let closed: { code: number; reason: string } | undefined;
    const c = client(bearer(short), { onClosed: (code, reason) => (closed = { code, reason }) });
    const s = new Sub(c, ITEMS);
    await subscriptions(1);
    await eventually(() => closed !== undefined, 'the close', 6_000);
    expect(closed!.code).toBe(4403);
    expect(closed!.reason).toMatch(/expired/);
    expect(engine.subscriptionCount).toBe(0);
    await eventually(() => engine.connections.size === 0, 'no connections');
    s.dispose();
  });
});

describe('cleanup', () => {
  it('complete unsubscribes one subscription; disconnect unsubscribes everything and frees the slot', async () => {
    const c = client(bearer(app.userToken(A)));
    const one = new Sub(c, ITEMS);
    const two = new Sub(c, ITEMS, { events: ['INSERT'] });
    await subscriptions(2);
    one.dispose(); // sends complete
    await subscriptions(1);
    expect(engine.connections.size).toBe(1);
    await c.dispose();
    await subscriptions(0);
    await eventually(() => engine.connections.size === 0, 'no connections');
    expect(two.error ?? two.completed).toBeTruthy();
  });

  it('leaves no subscription and no connection in the engine after 1,000 connect/subscribe/disconnect cycles', async () => {
    const token = app.keys.service_role;
    const init = JSON.stringify({ type: 'connection_init', payload: bearer(token) });
    const subscribe = (sid: string) => JSON.stringify({ id: sid, type: 'subscribe', payload: { query: ITEMS } });
    const started = Date.now();
    for (let i = 0; i < 1000; i++) {
      // The key also on the upgrade request: the HTTP rate limit (per principal, service role
      // exempt) counts upgrades, and 1,000 anonymous ones from one address would reach it.
      const ws = new WebSocket(wsUrl, 'graphql-transport-ws', { headers: { authorization: `Bearer ${token}` } });
      await new Promise<void>((resolve, reject) => {
        ws.once('error', reject);
        ws.on('message', (data) => {
          const m = JSON.parse(String(data)) as { type: string };
          if (m.type !== 'connection_ack') return;
          ws.send(subscribe('1'));
          ws.send(subscribe('2'));
          // Every fourth cycle completes one subscription first; every other one closes at
          // once, while the subscribe may still be in flight; the rest wait until it is live.
          if (i % 4 === 0) ws.send(JSON.stringify({ id: '1', type: 'complete' }));
          if (i % 2 === 1) ws.close();
          else eventually(() => engine.subscriptionCount > 0, 'live', 5_000, 0).then(() => ws.close(), reject);
        });
        ws.once('open', () => ws.send(init));
        ws.once('close', () => resolve());
      });
    }
    await eventually(() => engine.connections.size === 0, 'no connections');
    expect(engine.subscriptionCount).toBe(0);
    expect(engine.subscriptionCount).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);
});

describe('shutdown', () => {
  // Last in the file: it stops the app's realtime engine.
  it('closes subscription sockets with 1001 when realtime shuts down (clients reconnect elsewhere)', async () => {
    let closed: { code: number; reason: string } | undefined;
    const c = client(bearer(app.keys.service_role), { onClosed: (code, reason) => (closed = { code, reason }) });
    const s = new Sub(c, ITEMS);
    await subscriptions(1);
    await engine.stop();
    await eventually(() => closed !== undefined, 'the close');
    expect(closed).toEqual({ code: 1001, reason: 'Server shutting down' });
    expect(engine.subscriptionCount).toBe(0);
    expect(engine.connections.size).toBe(0);
    s.dispose();
  });
});

describe('changeStream', () => {
  const event: FeedEvent = { type: 'INSERT', record: { id: 1 }, oldRecord: null, commitTimestamp: '2026-01-01T00:00:00Z' };
  function fakeConnection() {
    const state = { deliver: (_e: FeedEvent) => {}, unsubscribed: 0 };
    const conn: FeedConnection = {
      subscribe: (_input, deliver) => {
        state.deliver = deliver;
        return () => state.unsubscribed++;
      },
      close: () => {},
    };
    return { conn, state };
  }

  it('ends a subscription that falls more than the queue size behind, instead of growing', async () => {
    const { conn, state } = fakeConnection();
    const it = changeStream(conn, { schema: 'public', table: 't', events: ['INSERT'] }, 2, () => {});
    state.deliver(event);
    state.deliver(event);
    state.deliver(event);
    await expect(it.next()).rejects.toMatchObject({ extensions: { code: 'SLOW_CLIENT' } });
    expect(state.unsubscribed).toBe(1);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('hands queued changes over in order and unsubscribes once on return()', async () => {
    const { conn, state } = fakeConnection();
    const it = changeStream(conn, { schema: 'public', table: 't', events: ['INSERT'] }, 8, () => {});
    const pending = it.next();
    state.deliver({ ...event, record: { id: 1 } });
    state.deliver({ ...event, record: { id: 2 } });
    expect((await pending).value.record).toEqual({ id: 1 });
    expect((await it.next()).value.record).toEqual({ id: 2 });
    const waiting = it.next();
    await it.return!();
    expect(await waiting).toEqual({ value: undefined, done: true });
    await it.return!();
    expect(state.unsubscribed).toBe(1);
  });
});
