// Webhooks end to end (docs/webhooks.md): registration rules, the outbox (a committed change
// is delivered, a rolled-back one never), the signed delivery as a receiver sees it (checked
// with the SDK's verifyWebhookSignature), retries with backoff, dead letters, timeouts,
// redirects not followed, user scope, secret rotation, the test endpoint, and a change
// queued while no worker ran delivered by the next server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyWebhookSignature } from '../../sdk/src/index.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

interface Received { headers: http.IncomingHttpHeaders; body: string; path: string }

let db: TestDatabase;
let app: TestApp;
let owner: postgres.Sql;
let receiver: http.Server;
let base: string;
const received: Received[] = [];
/** Per path: the statuses to answer in turn (then 200). "hang" never answers; "redirect" sends a 302. */
const script = new Map<string, (number | 'hang' | 'redirect')[]>();

const admin = () => ({ authorization: `Bearer ${app.keys.service_role}`, 'content-type': 'application/json' });

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = admin()): Promise<{ status: number; json: any }> /* eslint-disable-line @typescript-eslint/no-explicit-any -- shapes vary per call */ {
  const res = await app.fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function hook(path: string, over: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const res = await api('POST', '/api/v1/webhooks', { name: path, url: `${base}${path}`, events: [{ table: 'orders', operations: ['*'] }], scope: 'global', ...over });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json;
}

function at(path: string): Received[] {
  return received.filter((r) => r.path === path);
}

async function deliveries(id: string): Promise<{ status: string; attempt: number; status_code: number | null; error: string | null; event_id: string; event: string }[]> {
  return (await api('GET', `/api/v1/webhooks/${id}/deliveries`)).json;
}

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString(), path });
      const next = script.get(path)?.shift() ?? 200;
      if (next === 'hang') return;
      if (next === 'redirect') {
        res.writeHead(302, { location: `${base}/redirected` }).end();
        return;
      }
      res.writeHead(next, { 'content-type': 'text/plain' }).end(`answer ${next}`);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  db = await createTestDatabase();
  owner = postgres(db.url, { max: 2, onnotice: () => {} });
  await owner`create table public.orders (id serial primary key, item text not null, user_id uuid)`;
  await owner`grant all on public.orders to anon, authenticated, service_role`;
  await owner`grant usage on sequence public.orders_id_seq to anon, authenticated, service_role`;
  app = await startTestApp(db.url, {
    overrides: { webhooks: { allow_private_targets: true, retry_backoff_base: '50ms', retry_backoff_max: '200ms' } },
  });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await owner?.end();
  await db?.drop();
  receiver?.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
});

describe('delivery', () => {
  it('delivers a committed insert once, signed, with the documented body and headers', async () => {
    const { id, secret } = await hook('/signed');
    expect(secret).toMatch(/^whsec_/);
    await owner`insert into public.orders (item) values ('book')`;
    await vi.waitFor(() => expect(at('/signed')).toHaveLength(1), { timeout: 10_000 });
    const [r] = at('/signed');
    const body = JSON.parse(r!.body);
    expect(body).toMatchObject({ event: 'INSERT', schema: 'public', table: 'orders', record: { item: 'book' } });
    expect(body.old_record).toBeUndefined();
    expect(r!.headers).toMatchObject({
      'content-type': 'application/json', 'user-agent': 'Fluxbase-Webhooks/1.0', 'x-fluxbase-event': 'INSERT', 'x-fluxbase-delivery': body.id,
    });
    expect(await verifyWebhookSignature(r!.body, r!.headers['x-fluxbase-signature'] as string, secret)).toBe(true);
    expect(await verifyWebhookSignature(r!.body.replace('book', 'b00k'), r!.headers['x-fluxbase-signature'] as string, secret)).toBe(false);
    expect(await verifyWebhookSignature(r!.body, r!.headers['x-fluxbase-signature'] as string, 'whsec_wrong')).toBe(false);
    await vi.waitFor(async () => expect(await deliveries(id)).toMatchObject([{ status: 'success', attempt: 1, status_code: 200, event_id: body.id }]));
    await api('DELETE', `/api/v1/webhooks/${id}`);
  });

  it('sends nothing for a rolled-back write, and UPDATE carries old_record', async () => {
    const { id } = await hook('/tx');
    await owner.begin(async (tx) => {
      await tx`insert into public.orders (item) values ('never')`;
      throw new Error('roll back');
    }).catch(() => {});
    const [row] = await owner<{ id: number }[]>`insert into public.orders (item) values ('kept') returning id`;
    await owner`update public.orders set item = 'changed' where id = ${row!.id}`;
    await vi.waitFor(() => expect(at('/tx')).toHaveLength(2), { timeout: 10_000 });
    const bodies = at('/tx').map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => b.record.item).sort()).toEqual(['changed', 'kept']);
    expect(bodies.find((b) => b.event === 'UPDATE')).toMatchObject({ record: { item: 'changed' }, old_record: { item: 'kept' } });
    expect(bodies.some((b) => b.record.item === 'never')).toBe(false);
    await api('DELETE', `/api/v1/webhooks/${id}`);
  });

  it('retries a failing receiver with the same delivery id until it succeeds', async () => {
    script.set('/flaky', [500, 503]);
    const { id } = await hook('/flaky');
    await owner`insert into public.orders (item) values ('retry')`;
    await vi.waitFor(async () => expect(await deliveries(id)).toMatchObject([{ status: 'success', attempt: 3 }]), { timeout: 15_000 });
    const ids = new Set(at('/flaky').map((r) => r.headers['x-fluxbase-delivery']));
    expect(at('/flaky')).toHaveLength(3);
    expect(ids.size).toBe(1);
    await api('DELETE', `/api/v1/webhooks/${id}`);
  });

  it('marks a delivery dead after max_retries, and records a timeout and an unfollowed redirect as failures', async () => {
    script.set('/down', [500, 500, 500]);
    script.set('/slow', ['hang']);
    script.set('/moved', ['redirect']);
    const down = await hook('/down', { max_retries: 1 });
    const slow = await hook('/slow', { timeout_seconds: 1, max_retries: 0 });
    const moved = await hook('/moved', { max_retries: 0 });
    await owner`insert into public.orders (item) values ('doomed')`;
    await vi.waitFor(async () => {
      expect(await deliveries(down.id)).toMatchObject([{ status: 'dead', attempt: 2, status_code: 500 }]);
      expect((await deliveries(slow.id))[0]).toMatchObject({ status: 'dead', attempt: 1, status_code: null, error: expect.stringMatching(/timed out/) });
      expect(await deliveries(moved.id)).toMatchObject([{ status: 'dead', attempt: 1, status_code: 302 }]);
    }, { timeout: 15_000 });
    expect(at('/down')).toHaveLength(2);
    expect(at('/redirected')).toHaveLength(0);
    for (const h of [down, slow, moved]) await api('DELETE', `/api/v1/webhooks/${h.id}`);
  });

  it('signs with both secrets during a rotation, newest first', async () => {
    const { id, secret: old } = await hook('/rotated');
    const rotated = await api('POST', `/api/v1/webhooks/${id}/rotate-secret`, { grace_period_hours: 1 });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).toMatch(/^whsec_/);
    await owner`insert into public.orders (item) values ('rotation')`;
    await vi.waitFor(() => expect(at('/rotated')).toHaveLength(1), { timeout: 10_000 });
    const r = at('/rotated')[0]!;
    const header = r.headers['x-fluxbase-signature'] as string;
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(await verifyWebhookSignature(r.body, header, rotated.json.secret)).toBe(true);
    expect(await verifyWebhookSignature(r.body, header, old)).toBe(true);
    await api('DELETE', `/api/v1/webhooks/${id}`);
  });

  it('POST /:id/test sends one signed TEST event and reports the outcome', async () => {
    const { id } = await hook('/probe');
    const res = await api('POST', `/api/v1/webhooks/${id}/test`);
    expect(res.json).toMatchObject({ success: true, status_code: 200 });
    expect(JSON.parse(at('/probe')[0]!.body)).toMatchObject({ event: 'TEST', record: { test: true } });
    await api('DELETE', `/api/v1/webhooks/${id}`);
  });
});

describe('user scope and access', () => {
  const userA = '00000000-0000-4000-8000-00000000000a';
  const userB = '00000000-0000-4000-8000-00000000000b';
  const as = (sub: string) => ({ authorization: `Bearer ${app.userToken(sub)}`, 'content-type': 'application/json' });

  it('delivers only the changes of rows the user owns, and keeps users apart', async () => {
    const created = await api('POST', '/api/v1/webhooks', { name: 'mine', url: `${base}/mine`, events: [{ table: 'public.orders', operations: ['INSERT'] }] }, as(userA));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ scope: 'user', created_by: userA });
    await owner`insert into public.orders (item, user_id) values ('other', ${userB}), ('nobody', null), ('own', ${userA})`;
    await vi.waitFor(() => expect(at('/mine')).toHaveLength(1), { timeout: 10_000 });
    expect(JSON.parse(at('/mine')[0]!.body).record.item).toBe('own');
    expect((await api('GET', '/api/v1/webhooks', undefined, as(userB))).json).toEqual([]);
    expect((await api('GET', `/api/v1/webhooks/${created.json.id}`, undefined, as(userB))).status).toBe(404);
    expect((await api('DELETE', `/api/v1/webhooks/${created.json.id}`, undefined, as(userB))).status).toBe(404);
    expect((await api('GET', '/api/v1/webhooks', undefined, as(userA))).json.map((w: { id: string }) => w.id)).toEqual([created.json.id]);
    expect(JSON.stringify((await api('GET', `/api/v1/webhooks/${created.json.id}`, undefined, as(userA))).json)).not.toMatch(/whsec_|secret/);
    expect((await api('DELETE', `/api/v1/webhooks/${created.json.id}`, undefined, as(userA))).status).toBe(204);
  });

  it('makes a service key\'s webhook global by default, and refuses a "user" one it has no user for', async () => {
    const res = await api('POST', '/api/v1/webhooks', { name: 'key', url: `${base}/key`, events: [{ table: 'orders', operations: ['*'] }] });
    expect(res.json).toMatchObject({ scope: 'global', created_by: null });
    const user = await api('POST', '/api/v1/webhooks', { name: 'key2', url: `${base}/key`, events: [{ table: 'orders', operations: ['*'] }], scope: 'user' });
    expect(user.status).toBe(400);
    expect(user.json.message).toMatch(/no user/);
    await api('DELETE', `/api/v1/webhooks/${res.json.id}`);
  });

  it('refuses a global webhook from a user, and anonymous callers', async () => {
    const global = await api('POST', '/api/v1/webhooks', { name: 'g', url: `${base}/g`, events: [{ table: 'orders', operations: ['*'] }], scope: 'global' }, as(userA));
    expect(global.status).toBe(403);
    const anon = await api('POST', '/api/v1/webhooks', { name: 'a', url: `${base}/a`, events: [{ table: 'orders', operations: ['*'] }] }, { authorization: `Bearer ${app.keys.anon}`, 'content-type': 'application/json' });
    expect(anon.status).toBe(401);
  });
});

describe('bad input', () => {
  it.each([
    ['a non-http scheme', { url: 'ftp://example.com/hook' }, /http/],
    ['credentials in the URL', { url: 'http://user:pw@example.com/hook' }, /credential|user/i],
    ['a missing table', { events: [{ table: 'public.nope', operations: ['INSERT'] }] }, /not found/],
    ['an internal table', { events: [{ table: 'auth.sessions', operations: ['INSERT'] }] }, /internal/],
    ['an unknown operation', { events: [{ table: 'orders', operations: ['TRUNCATE'] }] }, /INSERT/],
    ['no events', { events: [] }, /at least one/],
    ['a reserved header', { headers: { 'X-Fluxbase-Signature': 'forged' } }, /may not be overridden/],
    ['a hop-by-hop header', { headers: { Connection: 'close' } }, /may not be overridden/],
    ['a header value with a line break', { headers: { 'X-Team': 'a\r\nInjected: 1' } }, /line breaks/],
    ['a timeout over 60 s', { timeout_seconds: 600 }, /60/],
    ['negative retries', { max_retries: -1 }, /0/],
    ['an unknown field', { retries: 3 }, /retries/],
  ])('refuses %s with 400', async (_name, over, message) => {
    const res = await api('POST', '/api/v1/webhooks', { name: 'bad', url: `${base}/bad`, events: [{ table: 'orders', operations: ['*'] }], ...over });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json)).toMatch(message);
  });

  it('refuses private, loopback and metadata targets unless webhooks.allow_private_targets', async () => {
    const strict = await startTestApp(db.url);
    try {
      for (const url of ['http://127.0.0.1:9/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest/meta-data', 'http://[::ffff:127.0.0.1]/x', 'http://localhost/x']) {
        const res = await strict.fetch('/api/v1/webhooks', {
          method: 'POST', headers: { authorization: `Bearer ${strict.keys.service_role}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'ssrf', url, events: [{ table: 'orders', operations: ['*'] }] }),
        });
        expect(res.status, url).toBe(400);
        expect((await res.json() as { message: string }).message, url).toMatch(/address|public/);
      }
    } finally {
      await strict.close();
    }
  });

  it('answers 404 for an unknown or malformed id', async () => {
    expect((await api('GET', '/api/v1/webhooks/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api('GET', '/api/v1/webhooks/not-a-uuid')).status).toBe(404);
  });
});

describe('the outbox', () => {
  const triggerEvents = async (table: string): Promise<number> => {
    const [row] = await owner<{ type: number }[]>`
      select t.tgtype::int as type from pg_catalog.pg_trigger t where t.tgname = 'fluxbase_webhook' and t.tgrelid = ${`public.${table}`}::regclass`;
    return (row?.type ?? 0) & (4 | 8 | 16); // INSERT | DELETE | UPDATE
  };

  it('fires for the subscribed operations only, and follows a change of them', async () => {
    await owner`create table public.lines (id serial primary key, n int)`;
    const h = await hook('/lines', { events: [{ table: 'public.lines', operations: ['INSERT'] }] });
    expect(await triggerEvents('lines')).toBe(4);
    await owner`insert into public.lines (n) values (1)`;
    await owner`update public.lines set n = 2`; // no trigger fires: nothing is queued for it
    await owner`insert into public.lines (n) values (3)`;
    await vi.waitFor(() => expect(at('/lines')).toHaveLength(2), { timeout: 10_000 });
    expect((await deliveries(h.id)).map((d) => d.event)).toEqual(['INSERT', 'INSERT']);

    expect((await api('PATCH', `/api/v1/webhooks/${h.id}`, { events: [{ table: 'public.lines', operations: ['INSERT', 'UPDATE'] }] })).status).toBe(200);
    expect(await triggerEvents('lines')).toBe(4 | 16);
    await owner`update public.lines set n = 4 where n = 3`;
    await vi.waitFor(() => expect(at('/lines')).toHaveLength(3), { timeout: 10_000 });
    expect(JSON.parse(at('/lines')[2]!.body)).toMatchObject({ event: 'UPDATE', record: { n: 4 }, old_record: { n: 3 } });
    await api('DELETE', `/api/v1/webhooks/${h.id}`);
    expect(await triggerEvents('lines')).toBe(0);
  });
});

describe('restart', () => {
  it('delivers a change queued while no worker ran once a server starts', async () => {
    await app.server.app.webhooks.worker.stop();
    await hook('/later');
    await owner`insert into public.orders (item) values ('queued')`;
    // Queued in the writer's transaction: the change waits in the outbox (migration 019).
    const queued = await owner<{ item: string }[]>`select payload->'record'->>'item' as item from webhooks.outbox`;
    expect(queued).toEqual([{ item: 'queued' }]);
    // Registered after that change: matched when a worker takes the change, it does not get it.
    await hook('/latecomer');
    const next = await startTestApp(db.url, { overrides: { webhooks: { allow_private_targets: true } } });
    try {
      await vi.waitFor(() => expect(at('/later')).toHaveLength(1), { timeout: 10_000 });
      await owner`insert into public.orders (item) values ('after')`;
      await vi.waitFor(() => expect(at('/later')).toHaveLength(2), { timeout: 10_000 });
      await vi.waitFor(() => expect(at('/latecomer')).toHaveLength(1), { timeout: 10_000 });
      expect(JSON.parse(at('/latecomer')[0]!.body)).toMatchObject({ record: { item: 'after' } });
      expect(await owner`select 1 from webhooks.outbox`).toHaveLength(0);
    } finally {
      await next.close();
    }
  });
});
