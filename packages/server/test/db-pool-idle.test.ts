// fluxbase_db_pool_connections{state="idle"} is the driver's own count of open connections
// nobody holds (db/pool.ts PoolStats.idle, patches/postgres+3.4.9.patch `sql.connections()`),
// not `max − in_use`: connections never opened, or closed by the server, are not idle.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPool, type Pool } from '../src/db/index.ts';
import { createTestDatabase, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let pool: Pool;
const APP = `fluxbase-idle-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool({ url: db.url, max: 4, min: 2, statementTimeoutMs: 10_000, connectTimeoutMs: 5000, poolWaitTimeoutMs: 5000, applicationName: APP });
});
afterAll(async () => {
  await pool?.close();
  await db?.drop();
});

describe('the pool\'s idle connections', () => {
  it('come from the driver (patches/postgres+3.4.9.patch adds sql.connections(); npm install applies it)', () => {
    expect(typeof (pool.sql as unknown as { connections?: unknown }).connections).toBe('function');
  });

  it('are the connections open and not held: min after warm-up, one fewer while one is held', async () => {
    expect(pool.stats()).toMatchObject({ inUse: 0, idle: 0, waiting: 0, max: 4 }); // nothing opened yet
    await pool.warm();
    expect(pool.stats()).toMatchObject({ inUse: 0, idle: 2, waiting: 0 });
    await pool.withConnection(async (conn) => {
      await conn`select 1`;
      expect(pool.stats()).toMatchObject({ inUse: 1, idle: 1 });
    });
    expect(pool.stats()).toMatchObject({ inUse: 0, idle: 2 });
  });

  it('are reused last in, first out: one request at a time keeps one backend warm', async () => {
    // The driver took the idle connection that waited longest (round robin): every sequential
    // request ran on a cache-cold backend (bench/README.md "Webhooks", W2). Now it takes the
    // one released last, as PgBouncer does by default (server_round_robin = 0).
    expect(pool.stats()).toMatchObject({ inUse: 0, idle: 2 });
    const pids: number[] = [];
    for (let i = 0; i < 6; i++) pids.push(await pool.withConnection(async (conn) => (await conn<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid));
    expect(new Set(pids).size).toBe(1);
  });

  it('do not count connections the server closed', async () => {
    const killed = await db.sql<{ ok: boolean }[]>`select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = ${APP}`;
    expect(killed.length).toBe(2);
    await vi.waitFor(() => expect(pool.stats().idle).toBe(0), { timeout: 5000 });
    // The next hold opens a connection again, which then stays open and idle.
    await pool.withConnection((conn) => conn`select 1`);
    expect(pool.stats()).toMatchObject({ inUse: 0, idle: 1 });
  });
});
