// Fault (docs/realtime.md "When the database goes away"): PostgreSQL restarts under 1,000
// connected realtime sockets of a real `fluxbase serve` process. The sockets stay open, every
// client is told the feed reconnected (listener_reconnected), and delivery resumes.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/index.ts';
import { createLogger } from '../src/observability/index.ts';
import { spawnServer, type ChildServer } from './harness/child-server.ts';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from './harness/index.ts';
import { RtClient } from './harness/realtime.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const SOCKETS = 1000;
const logger = createLogger({ level: 'silent', format: 'json' });
let dir: string;
let pg: EmbeddedPostgres;
let server: ChildServer;
const sockets: RtClient[] = [];

const appUrl = () => {
  const u = new URL(pg.url);
  u.pathname = '/app';
  return u.toString();
};

async function insert(label: string): Promise<void> {
  const sql = postgres(appUrl(), { max: 1, onnotice: () => {} });
  try {
    await sql`insert into public.items (label) values (${label})`;
  } finally {
    await sql.end();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-rt-fault-'));
  pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), logger });
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  await sql`create database app`;
  await sql.end();
  const app = postgres(appUrl(), { max: 1, onnotice: () => {} });
  await app`create table public.items (id serial primary key, label text not null)`;
  await app.end();
  server = await spawnServer({
    FLUXBASE_DATABASE_URL: appUrl(),
    FLUXBASE_ENV: 'test',
    FLUXBASE_DATA_DIR: path.join(dir, 'app'),
    FLUXBASE_AUTH_JWT_SECRET: TEST_JWT_SECRET,
    FLUXBASE_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    FLUXBASE_RATE_LIMIT_ENABLED: 'false',
    FLUXBASE_DATABASE_CONNECT_TIMEOUT: '2s',
    FLUXBASE_REALTIME_MAX_CONNECTIONS: String(SOCKETS + 10),
  });
  const res = await fetch(`${server.url}/api/v1/admin/realtime/tables`, {
    method: 'POST', headers: { authorization: `Bearer ${server.keys.service_role}`, 'content-type': 'application/json' }, body: JSON.stringify({ table: 'items' }),
  });
  expect(res.status).toBe(201);
});

afterAll(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  const code = await server?.stop();
  expect(code, 'the server stops cleanly').toBe(0);
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('PostgreSQL restarts under 1,000 sockets', () => {
  it('keeps every socket open, tells each client, and delivers again', async () => {
    for (let i = 0; i < SOCKETS; i += 100) {
      sockets.push(...await Promise.all(Array.from({ length: 100 }, () => RtClient.connect(server.url, `?token=${server.keys.service_role}`))));
    }
    await Promise.all(sockets.map((s) => s.subscribe('items', { event: 'INSERT' }, 'items')));
    await insert('before');
    await Promise.all(sockets.map((s) => s.next((f) => f.type === 'postgres_changes' && f.payload.record.label === 'before', 30_000)));

    const port = pg.port;
    await pg.stop();
    pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), logger, port });

    await Promise.all(sockets.map((s) => s.next((f) => f.type === 'system' && f.payload.event === 'listener_reconnected', 60_000)));
    expect(sockets.filter((s) => s.closeCode !== undefined)).toHaveLength(0);
    // One notice per client, sent once every listener listens again (so the next insert is heard).
    expect(sockets.filter((s) => s.all('system').length !== 1)).toHaveLength(0);
    expect(server.alive()).toBe(true);
    await insert('after');
    await Promise.all(sockets.map((s) => s.next((f) => f.type === 'postgres_changes' && f.payload.record.label === 'after', 30_000))).catch(async (err: Error) => {
      // What the server logged about its feed says which side lost the change.
      const log = server.output().split('\n').filter((l) => l.includes('realtime')).slice(-30).join('\n');
      const metrics = (await (await fetch(`${server.url}/metrics`)).text()).split('\n').filter((l) => l.startsWith('fluxbase_realtime')).join('\n');
      const delivered = sockets.filter((s) => s.all('postgres_changes').some((f) => f.payload.record.label === 'after')).length;
      throw new Error(`${err.message}\n${delivered} of ${sockets.length} sockets got "after"\nserver log (realtime):\n${log}\nmetrics:\n${metrics}`);
    });
    for (const s of sockets) expect(s.all('postgres_changes').map((f) => f.payload.record.label)).toEqual(['before', 'after']);
    const metrics = await server.metrics();
    expect(metrics.value('fluxbase_realtime_listener_reconnects_total')).toBeGreaterThanOrEqual(1);
    expect(metrics.value('fluxbase_realtime_connections')).toBe(SOCKETS);
  });
});
