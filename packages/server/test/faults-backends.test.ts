// Faults on single connections, with the real `fluxbase serve` in a child process:
// - backends of the pool terminated (pg_terminate_backend) while they serve requests,
//   including reserved connections in the middle of a transaction;
// - a request stuck behind a lock past server.handler_timeout: answered 504
//   HANDLER_TIMEOUT in the envelope, its connection destroyed (the backend ends too) and
//   its pool slot returned while the lock is still held.
// Each asserts the process stays alive, only honest statuses, every acknowledged write
// stored, and the gauges at rest afterwards. docs/operations.md describes the bounds.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventually, expectRecoveredAtRest, runLoad, spawnServer, timedFetch, type ChildServer, type Outcome } from './harness/child-server.ts';
import { createTestDatabase, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, type TestDatabase } from './harness/index.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const HANDLER_TIMEOUT_MS = 2_000;
let db: TestDatabase;
let server: ChildServer;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe(`
    create table public.entries (id bigint generated always as identity primary key, v text not null unique);
    create table public.locked (id int primary key);
    insert into public.locked values (1);
    create function public.slow_echo(ms int, msg text) returns text language sql volatile as
      'select pg_sleep(ms / 1000.0); select msg';
  `);
  server = await spawnServer({
    FLUXBASE_DATABASE_URL: db.url,
    FLUXBASE_ENV: 'test',
    FLUXBASE_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'fluxbase-fault-backends-')),
    FLUXBASE_AUTH_JWT_SECRET: TEST_JWT_SECRET,
    FLUXBASE_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    FLUXBASE_SERVER_HANDLER_TIMEOUT: `${HANDLER_TIMEOUT_MS}ms`,
    FLUXBASE_DATABASE_MAX_CONNECTIONS: '10',
    FLUXBASE_DATABASE_MIN_CONNECTIONS: '4',
    FLUXBASE_RATE_LIMIT_ENABLED: 'false',
  });
});

afterAll(async () => {
  expect(await server?.stop(), 'the server stops cleanly').toBe(0);
  await db?.drop();
});

const auth = () => ({ apikey: server.keys.service_role, Authorization: `Bearer ${server.keys.service_role}` });

describe('pool backends terminated mid-request', () => {
  it('answers 503 for the requests it loses, stores every acknowledged write, and recovers at once', async () => {
    // Three kinds of request keep connections busy: single-statement writes (one round
    // trip), multi-statement RPC transactions that sleep (reserved connections mid-transaction),
    // and reads.
    const load = runLoad(18, (w, n): Promise<Outcome> => {
      if (w % 3 === 0) {
        const v = `${w}-${n}-${randomUUID()}`;
        return timedFetch(`${server.url}/rest/v1/entries`, {
          method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json', Prefer: 'return=minimal' }, body: JSON.stringify({ v }),
        }, HANDLER_TIMEOUT_MS + 5_000, v).then((o) => ({ ...o, mount: 'rest' }));
      }
      if (w % 3 === 1) {
        return timedFetch(`${server.url}/rest/v1/rpc/slow_echo`, {
          method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify({ ms: 50 + (n % 5) * 50, msg: 'hi' }),
        }, HANDLER_TIMEOUT_MS + 5_000).then((o) => ({ ...o, mount: 'rest' }));
      }
      return timedFetch(`${server.url}/rest/v1/entries?limit=5`, { headers: auth() }, HANDLER_TIMEOUT_MS + 5_000).then((o) => ({ ...o, mount: 'rest' }));
    });
    await eventually(async () => load.outcomes.filter((o) => o.status < 300).length >= 100, 30_000);

    const killer = postgres(db.url, { max: 1, onnotice: () => {} });
    let terminated = 0;
    const until = performance.now() + 5_000;
    while (performance.now() < until) {
      const rows = await killer<{ ok: boolean }[]>`
        select pg_terminate_backend(pid) as ok from pg_stat_activity
        where datname = current_database() and usename = 'fluxbase_authenticator' and backend_type = 'client backend'
          and pid <> pg_backend_pid() and random() < 0.4`;
      terminated += rows.filter((r) => r.ok).length;
      await new Promise((r) => setTimeout(r, 50));
    }
    const killedAt = load.outcomes.length;
    // After the killing stops, every request must succeed again.
    expect(await eventually(async () => load.outcomes.slice(killedAt).filter((o) => o.status < 300).length >= 50, 20_000)).toBe(true);
    const outcomes = await load.stop();
    const afterwards = outcomes.slice(killedAt + 20 * 3); // past the requests in flight when the killing stopped
    await killer.end();

    expect(terminated, 'backends were terminated').toBeGreaterThan(20);
    expect(outcomes.filter((o) => o.clientError !== undefined).map((o) => o.clientError), 'no request hangs').toEqual([]);
    expect(outcomes.filter((o) => ![200, 201, 503].includes(o.status)).map((o) => `${o.status} ${o.code ?? ''}`), 'only success or 503').toEqual([]);
    const unavailable = outcomes.filter((o) => o.status === 503);
    expect(unavailable.length, 'lost requests were answered 503').toBeGreaterThan(0);
    for (const o of unavailable) {
      expect(o.code).toBe(o.mount === 'rest' ? 'PGRST003' : 'SERVICE_UNAVAILABLE');
      expect(o.requestIdMatches).toBe(true);
    }
    expect(afterwards.filter((o) => o.status !== 200 && o.status !== 201).length, 'no failure once the killing stopped').toBe(0);

    const stored = new Set((await db.sql<{ v: string }[]>`select v from public.entries`).map((r) => r.v));
    expect(outcomes.filter((o) => o.status === 201 && !stored.has(o.value!)), 'acknowledged writes missing').toEqual([]);
    await expectRecoveredAtRest(server);
  });
});

describe('a request stuck past server.handler_timeout', () => {
  it('is answered 504 HANDLER_TIMEOUT, its connection destroyed and its slot returned while the lock is held', async () => {
    const before = await server.metrics();
    const locker = await db.sql.reserve();
    await locker`begin`;
    await locker`lock table public.locked in access exclusive mode`;
    try {
      const [rest, api] = await Promise.all([
        timedFetch(`${server.url}/rest/v1/locked`, { headers: auth() }, HANDLER_TIMEOUT_MS + 10_000),
        timedFetch(`${server.url}/api/v1/tables/locked`, { headers: auth() }, HANDLER_TIMEOUT_MS + 10_000),
      ]);
      expect(rest.status).toBe(504);
      expect(rest.code).toBe('HANDLER_TIMEOUT');
      expect(rest.requestIdMatches).toBe(true);
      expect(api.status).toBe(504);
      expect(api.code).toBe('HANDLER_TIMEOUT');
      expect(api.requestIdMatches).toBe(true);

      // The lock is still held, yet the slots come back and other requests are served.
      await expectRecoveredAtRest(server);
      const other = await timedFetch(`${server.url}/rest/v1/entries?limit=1`, { headers: auth() }, 5_000);
      expect(other.status).toBe(200);
      const m = await server.metrics();
      expect(m.value('fluxbase_http_handler_timeouts_total') - before.value('fluxbase_http_handler_timeouts_total')).toBe(2);
      expect(m.value('fluxbase_db_connections_abandoned_total') - before.value('fluxbase_db_connections_abandoned_total')).toBe(2);
      // The abandoned backends notice their client is gone (client_connection_check_interval) and end.
      const waiting = async () => (await db.sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and usename = 'fluxbase_authenticator' and wait_event_type = 'Lock'`)[0]!.n;
      expect(await eventually(async () => (await waiting()) === 0, 10_000), 'no backend left waiting on the lock').toBe(true);
    } finally {
      await locker`rollback`;
      locker.release();
    }
    const after = await timedFetch(`${server.url}/rest/v1/locked`, { headers: auth() }, 5_000);
    expect(after.status).toBe(200);
  });
});
