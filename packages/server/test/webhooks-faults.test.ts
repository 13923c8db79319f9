// Webhook delivery under faults and limits (docs/webhooks.md "Delivery"): two instances on
// one database deliver each change exactly once to a healthy receiver; the server's database
// connections killed mid-burst lose nothing (at least once, duplicates carry the same
// X-Fluxbase-Delivery); the per-URL rate limit postpones without spending attempts; the
// target is checked again at every attempt; a huge response is cut to 4 KB; the metrics count
// outcomes and the queue.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deleteOldDeliveries, syncTriggers } from '../src/webhooks/store.ts';
import { parseMetrics } from './harness/child-server.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let owner: postgres.Sql;
let receiver: http.Server;
let base: string;
const received: { path: string; delivery: string; body: string }[] = [];
const apps: TestApp[] = [];

const PRIVATE_OK = { webhooks: { allow_private_targets: true, retry_backoff_base: '50ms', retry_backoff_max: '200ms', per_url_rate_limit: '100000/1m' } };

async function start(overrides: Record<string, unknown> = PRIVATE_OK): Promise<TestApp> {
  const app = await startTestApp(db.url, { overrides });
  apps.push(app);
  return app;
}

async function hook(app: TestApp, name: string, table: string, over: Record<string, unknown> = {}): Promise<string> {
  const res = await app.fetch('/api/v1/webhooks', {
    method: 'POST', headers: { authorization: `Bearer ${app.keys.service_role}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, url: `${base}/${name}`, events: [{ table, operations: ['INSERT'] }], scope: 'global', ...over }),
  });
  const body = await res.json() as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.id;
}

const at = (name: string) => received.filter((r) => r.path === `/${name}`);

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '/', delivery: String(req.headers['x-fluxbase-delivery']), body: Buffer.concat(chunks).toString() });
      if (req.url === '/huge') {
        res.writeHead(500);
        res.end(Buffer.alloc(5 * 1024 * 1024, 'x'));
        return;
      }
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  db = await createTestDatabase();
  owner = postgres(db.url, { max: 2, onnotice: () => {} });
  for (const t of ['burst', 'killed', 'limited', 'guarded', 'huge', 'swept']) await owner.unsafe(`create table public.${t} (id serial primary key, n int)`);
}, 60_000);

afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await owner?.end();
  await db?.drop();
  receiver?.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
});

describe('delivery under faults', () => {
  it('two instances deliver 300 changes exactly once each', async () => {
    const [a] = await Promise.all([start(), start()]);
    await hook(a!, 'burst', 'public.burst');
    await owner`insert into public.burst (n) select generate_series(1, 300)`;
    await vi.waitFor(() => expect(at('burst').length).toBeGreaterThanOrEqual(300), { timeout: 30_000, interval: 100 });
    const ids = at('burst').map((r) => r.delivery);
    expect(new Set(ids).size).toBe(300);
    expect(ids).toHaveLength(300);
    const ns = new Set(at('burst').map((r) => (JSON.parse(r.body) as { record: { n: number } }).record.n));
    expect(ns.size).toBe(300);
  });

  it('loses nothing when the server\'s database connections are killed mid-burst', async () => {
    const app = apps[0]!;
    await hook(app, 'killed', 'public.killed');
    await owner`insert into public.killed (n) select generate_series(1, 200)`;
    for (let i = 0; i < 3; i++) {
      await owner`select pg_terminate_backend(pid) from pg_stat_activity where usename = 'fluxbase_authenticator' and datname = current_database() and pid <> pg_backend_pid()`;
      await new Promise((r) => setImmediate(r));
    }
    await owner`insert into public.killed (n) select generate_series(201, 300)`;
    await vi.waitFor(() => expect(new Set(at('killed').map((r) => r.delivery)).size).toBe(300), { timeout: 60_000, interval: 200 });
    // At least once: a repeat carries the same delivery id as its first send.
    const perChange = new Map<number, Set<string>>();
    for (const r of at('killed')) {
      const n = (JSON.parse(r.body) as { record: { n: number } }).record.n;
      perChange.set(n, (perChange.get(n) ?? new Set()).add(r.delivery));
    }
    expect(perChange.size).toBe(300);
    expect([...perChange.values()].every((s) => s.size === 1)).toBe(true);
  }, 90_000);
});

describe('limits and checks', () => {
  it('postpones deliveries over the per-URL rate limit without spending attempts', async () => {
    const app = await start({ webhooks: { ...PRIVATE_OK.webhooks, per_url_rate_limit: '2/1h' } });
    for (const other of apps.filter((x) => x !== app)) await other.server.app.webhooks.worker.stop();
    const id = await hook(app, 'limited', 'public.limited');
    await owner`insert into public.limited (n) select generate_series(1, 5)`;
    await vi.waitFor(() => expect(at('limited')).toHaveLength(2), { timeout: 10_000 });
    await vi.waitFor(async () => {
      const rows = await (await app.fetch(`/api/v1/webhooks/${id}/deliveries`, { headers: { authorization: `Bearer ${app.keys.service_role}` } })).json() as { status: string; attempt: number; next_retry_at: string | null }[];
      expect(rows.filter((r) => r.status === 'success')).toHaveLength(2);
      const waiting = rows.filter((r) => r.status === 'pending');
      expect(waiting).toHaveLength(3);
      expect(waiting.every((r) => r.attempt === 0 && r.next_retry_at !== null && Date.parse(r.next_retry_at) > Date.now() + 60_000)).toBe(true);
    }, { timeout: 10_000 });
    const m = parseMetrics(await (await app.fetch('/metrics')).text());
    expect(m.value('fluxbase_webhook_deliveries_total', { status: 'success' })).toBeGreaterThanOrEqual(2);
    expect(m.value('fluxbase_webhook_deliveries_total', { status: 'postponed' })).toBeGreaterThanOrEqual(3);
    expect(m.value('fluxbase_webhook_queue_depth')).toBeGreaterThanOrEqual(3);
    await app.server.app.webhooks.worker.stop();
  });

  it('checks the target again at every attempt: a server that forbids private targets refuses to send', async () => {
    // Registered where private targets are allowed, delivered by a server where they are not.
    const lenient = apps[0]!;
    const id = await hook(lenient, 'guarded', 'public.guarded', { max_retries: 0 });
    const strict = await start({ webhooks: { allow_private_targets: false } });
    await owner`insert into public.guarded (n) values (1)`;
    await vi.waitFor(async () => {
      const [row] = await owner<{ status: string; error: string }[]>`select status, error from webhooks.deliveries where webhook_id = ${id}`;
      expect(row).toMatchObject({ status: 'dead', error: expect.stringMatching(/loopback/) });
    }, { timeout: 10_000 });
    expect(at('guarded')).toHaveLength(0);
    const m = parseMetrics(await (await strict.fetch('/metrics')).text());
    expect(m.value('fluxbase_webhook_deliveries_total', { status: 'dead' })).toBe(1);
    await strict.server.app.webhooks.worker.stop();
  });

  it('keeps the first 4 KB of a huge response', async () => {
    const app = await start();
    const id = await hook(app, 'huge', 'public.huge', { max_retries: 0 });
    await owner`insert into public.huge (n) values (1)`;
    await vi.waitFor(async () => {
      const [row] = await owner<{ status: string; status_code: number; len: number }[]>`
        select status, status_code, length(response_body) as len from webhooks.deliveries where webhook_id = ${id}`;
      expect(row).toMatchObject({ status: 'dead', status_code: 500, len: 4096 });
    }, { timeout: 10_000 });
  });
});

describe('the delivery log', () => {
  // Deliveries have no foreign key to their webhook (migration 018: its check locked the
  // webhook's row on every change), so deleting and sweeping do that work themselves.
  it('deleting a webhook deletes its deliveries; one queued for a deleted webhook is never sent and the sweep removes it', async () => {
    const app = await start();
    const id = await hook(app, 'swept', 'public.swept');
    await owner`insert into public.swept (n) values (1)`;
    await vi.waitFor(() => expect(at('swept')).toHaveLength(1), { timeout: 10_000 });
    const del = await app.fetch(`/api/v1/webhooks/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${app.keys.service_role}` } });
    expect(del.status).toBe(204);
    expect((await owner`select 1 from webhooks.deliveries where webhook_id = ${id}`).length).toBe(0);

    // A write that committed after the delete: its row names a webhook that is gone.
    const ghost = '00000000-0000-4000-8000-00000000dead';
    await owner`insert into webhooks.deliveries (webhook_id, event_id, event, payload) values (${ghost}, gen_random_uuid(), 'INSERT', '{}')`;
    const kept = await hook(app, 'kept', 'public.swept');
    await owner`insert into public.swept (n) values (2)`;
    await vi.waitFor(() => expect(at('kept')).toHaveLength(1), { timeout: 10_000 });
    const [ghostRow] = await owner<{ status: string; attempt: number }[]>`select status, attempt from webhooks.deliveries where webhook_id = ${ghost}`;
    expect(ghostRow).toEqual({ status: 'pending', attempt: 0 });

    // The retention sweep: old finished rows and orphans go, recent ones stay.
    await owner`update webhooks.deliveries set created_at = now() - interval '2 days' where webhook_id = ${kept}`;
    await owner`insert into webhooks.deliveries (webhook_id, event_id, event, payload, status) values (${kept}, gen_random_uuid(), 'INSERT', '{}', 'dead')`;
    const removed = await owner.begin((sql) => deleteOldDeliveries(sql, 24 * 3600_000));
    expect(removed).toBe(2);
    expect(await owner<{ webhook_id: string; status: string }[]>`select webhook_id::text, status from webhooks.deliveries where webhook_id in (${ghost}, ${kept})`)
      .toEqual([{ webhook_id: kept, status: 'dead' }]);
  });
});

describe('triggers', () => {
  // Several instances sync triggers at start and after each registration change. Bare
  // CREATE/DROP TRIGGER at once failed ("already exists") or deadlocked (trigger and table
  // locked in opposite orders); syncTriggers takes the table's lock first.
  it('installs and removes a table\'s trigger once when several instances sync at the same moment', async () => {
    const instances = [0, 1, 2].map(() => postgres(db.url, { max: 1, onnotice: () => {} }));
    const count = async (table: string) =>
      (await owner`select 1 from pg_catalog.pg_trigger where tgname = 'fluxbase_webhook' and tgrelid = ${`public.${table}`}::regclass`).length;
    try {
      for (let round = 0; round < 5; round++) {
        const table = `raced_${round}`;
        await owner.unsafe(`create table public.${table} (id serial primary key)`);
        const [w] = await owner<{ id: string }[]>`
          insert into webhooks.webhooks (name, url, events, secret_enc, scope) values (${table}, ${`${base}/${table}`}, '[]', 'unused', 'global') returning id`;
        await owner`insert into webhooks.subscriptions (webhook_id, schema_name, table_name, operations) values (${w!.id}, 'public', ${table}, '{INSERT}')`;
        await Promise.all(instances.map((sql) => syncTriggers(sql)));
        expect(await count(table)).toBe(1);
        await owner`delete from webhooks.webhooks where id = ${w!.id}`;
        await Promise.all(instances.map((sql) => syncTriggers(sql)));
        expect(await count(table)).toBe(0);
      }
    } finally {
      await Promise.all(instances.map((sql) => sql.end()));
    }
  });
});
