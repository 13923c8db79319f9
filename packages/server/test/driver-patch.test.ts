// The postgres.js 3.4.9 defects our patch fixes (patches/postgres+3.4.9.patch, applied by
// `patch-package` on install; docs/operations.md, "The database driver"). Each case
// reproduces one defect against a real PostgreSQL: without the patch it kills the test
// process with an uncaught TypeError, hangs until the case's timeout, or leaks a
// connection so that a later query never runs.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './harness/index.ts';
import { startTcpProxy, viaProxy, type TcpProxy } from './harness/tcp-proxy.ts';

let db: TestDatabase;
let killer: postgres.Sql;

beforeAll(async () => {
  db = await createTestDatabase({ template: false });
  killer = postgres(db.url, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await killer?.end();
  await db?.drop();
});

/** Rejects with 'HANG' when `p` does not settle in time: a hang is a failure, not a wait. */
function settlesWithin<T>(p: Promise<T>, ms = 5000): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('HANG')), ms))]);
}

const codeOf = (p: Promise<unknown>, ms = 5000) => settlesWithin(p.then(() => 'ok', (e: { code?: string; message: string }) => e.code ?? e.message), ms);

async function terminate(pid: number): Promise<void> {
  await killer`select pg_terminate_backend(${pid})`;
}

describe('the installed driver', () => {
  it('carries the patch (npm install runs patch-package)', () => {
    const require = createRequire(import.meta.url);
    const src = path.join(path.dirname(require.resolve('postgres')), '..', 'src', 'connection.js');
    expect(readFileSync(src, 'utf8')).toContain('Fluxbase patch (porsager/postgres#1208');
  });
});

describe('a reserved connection whose backend is terminated (porsager/postgres#1208)', () => {
  it('fails its next queries with CONNECTION_CLOSED instead of crashing the process or hanging', async () => {
    const sql = postgres(db.url, { max: 2, onnotice: () => {} });
    try {
      const reserved = await sql.reserve();
      const [row] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`;
      await terminate(row!.pid);
      const first = await codeOf(reserved`select 1`);
      const second = await codeOf(reserved`select 1`);
      expect(['CONNECTION_CLOSED', 'ECONNRESET']).toContain(first);
      expect(second).toBe('CONNECTION_CLOSED');
      reserved.release();
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it('is not put back in the pool by release(): later queries neither hang nor get its old error (57P01)', async () => {
    const sql = postgres(db.url, { max: 2, onnotice: () => {} });
    try {
      for (let round = 0; round < 3; round++) {
        const reserved = await sql.reserve();
        const [row] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`;
        const pending = codeOf(reserved`select pg_sleep(2)`);
        await terminate(row!.pid);
        expect(await pending).not.toBe('ok');
        reserved.release();
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => codeOf(sql`select ${i}::int`)));
        expect(results).toEqual(Array(6).fill('ok'));
      }
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it('never runs a former holder\'s late query on the connection after it was reserved again', async () => {
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const old = await sql.reserve();
      const [row] = await old<{ pid: number }[]>`select pg_backend_pid() as pid`;
      await terminate(row!.pid);
      await codeOf(old`select 1`);
      const next = await settlesWithin(sql.reserve());
      await next`begin`;
      await next`select set_config('fluxbase.probe', 'mine', true)`; // lives as long as this transaction
      // The old holder's late rollback must not end the new holder's transaction.
      expect(await codeOf(old`rollback`)).toBe('CONNECTION_CLOSED');
      const [probe] = await next<{ v: string }[]>`select current_setting('fluxbase.probe', true) as v`;
      expect(probe!.v).toBe('mine');
      await next`rollback`;
      next.release();
      old.release(); // a no-op: that reservation is over
      expect(await codeOf(sql`select 1`)).toBe('ok');
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it('destroy() ends a reservation stuck in a long statement at once', async () => {
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const reserved = (await sql.reserve()) as postgres.ReservedSql & { destroy(): void };
      const stuck = codeOf(reserved`select pg_sleep(30)`, 3000);
      await new Promise((r) => setTimeout(r, 100));
      reserved.destroy();
      expect(await stuck).toBe('CONNECTION_CLOSED');
      reserved.release();
      expect(await codeOf(sql`select 1`)).toBe('ok');
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});

describe('the database unreachable for a while', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const u = new URL(db.url);
    proxy = await startTcpProxy({ host: u.hostname, port: Number(u.port) });
  });
  afterAll(() => proxy?.close());

  it('a reservation waiting while the only connection dies gets that connection once it reconnects', async () => {
    const sql = postgres(db.url, { max: 1, onnotice: () => {}, backoff: () => 0.05 });
    try {
      const holder = await sql.reserve();
      const [row] = await holder<{ pid: number }[]>`select pg_backend_pid() as pid`;
      const waiting = sql.reserve(); // queued: the only connection is held
      await terminate(row!.pid); // the held connection dies and reconnects for the waiting reservation
      const next = await settlesWithin(waiting);
      expect(await codeOf(next`select 1`)).toBe('ok');
      next.release();
      holder.release();
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it('a reservation that failed leaves the wait queue, so no connection is handed to it later', async () => {
    const sql = postgres(viaProxy(db.url, proxy), { max: 1, onnotice: () => {}, backoff: () => 0.05, connect_timeout: 2 });
    try {
      const holder = await sql.reserve();
      const waiting = codeOf(sql.reserve());
      await proxy.down('refuse'); // the held connection dies; reconnecting for the waiting reservation fails
      expect(await waiting).toBe('ECONNREFUSED');
      holder.release();
      await proxy.up();
      expect(await codeOf(sql`select 1`)).toBe('ok');
      const again = await settlesWithin(sql.reserve());
      again.release();
      expect(await codeOf(sql`select 2`)).toBe('ok');
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it('queries and reservations made while it is away all settle, and the pool serves once it is back', async () => {
    const sql = postgres(viaProxy(db.url, proxy), { max: 4, onnotice: () => {}, backoff: () => 0.05, connect_timeout: 2 });
    try {
      const reserved = await Promise.all([1, 2].map(() => sql.reserve()));
      await proxy.down('refuse');
      const during = await Promise.all([
        ...reserved.map((r) => codeOf(r`select 1`)),
        ...reserved.map((r) => codeOf(r`select 2`)),
        ...[1, 2, 3].map(() => codeOf(sql`select 3`)),
      ]);
      expect(during).not.toContain('HANG');
      expect(during).not.toContain('ok');
      for (const r of reserved) r.release();
      await proxy.up();
      const after = await Promise.all(Array.from({ length: 8 }, (_, i) => codeOf(sql`select ${i}::int`)));
      expect(after).toEqual(Array(8).fill('ok'));
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
