// The LISTEN connections under network faults (docs/realtime.md "When the database goes
// away"): a connection that goes silent without closing (half-open TCP: the peer vanished
// without a FIN) is found by the liveness probe and replaced, and a reconnect attempt that is
// accepted but never answered is abandoned and retried. After each, notifications flow again,
// once, and the pool says when it listens again. Real PostgreSQL behind a TCP proxy.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ListenerPool } from '../src/realtime/engine/listener-pool.ts';
import { createTestDatabase, type TestDatabase } from './harness/index.ts';
import { startTcpProxy, viaProxy, type TcpProxy } from './harness/tcp-proxy.ts';

let db: TestDatabase;
let proxy: TcpProxy;
let pool: ListenerPool;
const received: string[] = [];
const reconnected: Date[] = [];
const errors: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ template: false });
  const u = new URL(db.url);
  proxy = await startTcpProxy({ host: u.hostname, port: Number(u.port) });
  pool = new ListenerPool({
    url: viaProxy(db.url, proxy), size: 1, partitions: 1, prefix: 'lp_', extraChannels: [],
    connectTimeoutMs: 1_000, probeIntervalMs: 100, probeTimeoutMs: 400, backoffMs: () => 50,
    onNotify: (_channel, payload) => received.push(payload),
    onReconnected: (_listener, since) => reconnected.push(since),
    onError: (_listener, err) => errors.push((err as Error).message),
  });
  await pool.start();
  expect(pool.healthy()).toBe(true);
});

afterAll(async () => {
  await pool?.stop();
  await proxy?.close();
  await db?.drop();
});

/** Notify until the pool hears it (a notification sent while it was away is lost by design). */
async function heard(payload: string): Promise<void> {
  await vi.waitFor(async () => {
    if (!received.includes(payload)) await db.sql`select pg_notify('lp_0', ${payload})`;
    expect(received).toContain(payload);
  }, { timeout: 10_000, interval: 50 });
}

describe('LISTEN connection faults', () => {
  it('hears notifications through the proxy', async () => {
    await heard('first');
    expect(received.filter((p) => p === 'first')).toHaveLength(1);
  });

  it('replaces a connection that goes silent without closing, and says it listens again', async () => {
    await proxy.down('freeze');
    await vi.waitFor(() => expect(pool.healthy()).toBe(false), { timeout: 10_000, interval: 50 });
    expect(errors.some((e) => e.includes('liveness probe'))).toBe(true);
    expect(reconnected).toHaveLength(0);
    await proxy.up();
    await vi.waitFor(() => expect(reconnected).toHaveLength(1), { timeout: 10_000, interval: 50 });
    expect(pool.healthy()).toBe(true);
    const before = received.length;
    await db.sql`select pg_notify('lp_0', 'after-freeze')`;
    await vi.waitFor(() => expect(received).toContain('after-freeze'), { timeout: 10_000, interval: 50 });
    expect(received.slice(before)).toEqual(['after-freeze']);
  });

  it('abandons a reconnect that is accepted but never answered, and retries', async () => {
    await proxy.down('blackhole');
    await vi.waitFor(() => expect(pool.healthy()).toBe(false), { timeout: 10_000, interval: 50 });
    const failures = errors.length;
    // Each attempt is accepted and hangs: only the LISTEN deadline ends it.
    await vi.waitFor(() => expect(errors.slice(failures).some((e) => /LISTEN did not answer|timeout/i.test(e))).toBe(true), { timeout: 15_000, interval: 50 });
    await proxy.up();
    await vi.waitFor(() => expect(reconnected).toHaveLength(2), { timeout: 15_000, interval: 50 });
    await heard('after-blackhole');
    expect(received.filter((p) => p === 'after-blackhole')).toHaveLength(1);
  });
});
