// Fault (docs/realtime.md "Several instances"): one of two instances is killed (SIGKILL, a
// real `fluxbase serve` process) under a connected client. Behind a load balancer (a TCP
// proxy that sends new connections to a live instance) the SDK reconnects to the other
// instance with backoff, subscribes again, tracks its presence again, and receives changes.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../server/test/harness/auth.ts';
import { spawnServer, type ChildServer } from '../../server/test/harness/child-server.ts';
import { createTestDatabase, startTestApp, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, type TestApp, type TestDatabase } from '../../server/test/harness/index.ts';
import { startTcpProxy, type TcpProxy } from '../../server/test/harness/tcp-proxy.ts';
import { createClient, type FluxbaseClient, type RealtimeChannelStatus, type RealtimePostgresChangesPayload } from '../src/index.ts';

let db: TestDatabase;
let dir: string;
let doomed: ChildServer;
let survivor: TestApp;
let proxy: TcpProxy;
/** Where the load balancer sends new connections (read per connection by the proxy). */
const target = { host: '127.0.0.1', port: 0 };
const clients: FluxbaseClient[] = [];

function client(key: string): FluxbaseClient {
  const c = createClient(`http://127.0.0.1:${proxy.port}`, key, {
    auth: { persistSession: false },
    realtime: { WebSocket, timeoutMs: 5_000, reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 } },
  });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe(`
    create table public.events (id serial primary key, body text not null);
    grant select, insert on public.events to anon, authenticated, service_role;
    grant usage on sequence public.events_id_seq to anon, authenticated, service_role;
  `);
  dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-failover-'));
  doomed = await spawnServer({
    FLUXBASE_DATABASE_URL: db.url,
    FLUXBASE_ENV: 'test',
    FLUXBASE_DATA_DIR: dir,
    FLUXBASE_AUTH_JWT_SECRET: TEST_JWT_SECRET,
    FLUXBASE_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    FLUXBASE_RATE_LIMIT_ENABLED: 'false',
    FLUXBASE_DATABASE_MAX_CONNECTIONS: '5',
  });
  survivor = await startTestApp(db.url, { overrides: { rate_limit: { enabled: false } } });
  const res = await survivor.fetch('/api/v1/admin/realtime/tables', {
    method: 'POST', headers: { Authorization: `Bearer ${survivor.keys.service_role}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ table: 'events' }),
  });
  expect(res.status).toBe(201);
  target.port = Number(new URL(doomed.url).port);
  proxy = await startTcpProxy(target);
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.removeAllChannels()));
  await proxy?.close();
  await survivor?.close();
  if (doomed?.alive()) await doomed.stop();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('one instance of two killed', () => {
  it('the SDK reconnects to the other instance, subscribes and tracks again, and receives changes', async () => {
    const c = client(survivor.keys.anon);
    const inbox: RealtimePostgresChangesPayload<{ id: number; body: string }>[] = [];
    const statuses: string[] = [];
    const channel = c.channel('failover')
      .on<{ id: number; body: string }>('postgres_changes', { event: 'INSERT', table: 'events' }, (p) => inbox.push(p))
      .on('presence', { event: 'sync' }, () => {});
    await new Promise<void>((resolve, reject) => channel.subscribe((status: RealtimeChannelStatus, err) => {
      statuses.push(err ? `${status} ${err.code}` : status);
      if (status === 'SUBSCRIBED') resolve();
      else if (status !== 'CLOSED' && !err?.code?.startsWith('REALTIME_')) reject(new Error(status));
    }));
    await channel.track({ who: 'client' });
    await db.sql`insert into public.events (body) values ('before')`;
    expect(await eventually(async () => inbox.some((p) => p.new.body === 'before'))).toBe(true);
    // An observer on the survivor sees the client's presence (it crosses instances).
    const observer = new WebSocket(`${survivor.url.replace('http', 'ws')}/realtime`);
    const presence: Record<string, unknown>[] = [];
    observer.on('message', (d) => {
      const f = JSON.parse(String(d)) as { type: string; payload: { presence: Record<string, unknown> } };
      if (f.type === 'presence') presence.push(f.payload.presence);
    });
    await new Promise((r) => observer.once('open', r));
    observer.send(JSON.stringify({ type: 'subscribe', channel: 'failover' }));

    await eventually(async () => presence.length > 0);
    const seenBeforeKill = presence.length;
    doomed.child.kill('SIGKILL');
    await doomed.exit;
    target.port = Number(new URL(survivor.url).port); // the load balancer now only knows the survivor
    expect(await eventually(async () => statuses.includes('CHANNEL_ERROR REALTIME_DISCONNECTED'), 10_000)).toBe(true);
    expect(await eventually(async () => statuses.at(-1) === 'SUBSCRIBED', 20_000)).toBe(true);
    await db.sql`insert into public.events (body) values ('after')`;
    expect(await eventually(async () => inbox.some((p) => p.new.body === 'after'), 10_000)).toBe(true);
    expect(inbox.filter((p) => p.new.body === 'after')).toHaveLength(1);
    // Tracked again on the survivor: the observer sees a new join (the killed instance's entry
    // stays until that instance misses three alive intervals; docs/realtime.md "Presence").
    expect(await eventually(async () => presence.slice(seenBeforeKill).some((p) => p.event === 'join' && JSON.stringify(p.newPresences).includes('"who":"client"')), 10_000)).toBe(true);
    observer.close();
  }, 60_000);
});
