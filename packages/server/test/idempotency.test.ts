// Idempotency-Key end to end (docs/rest.md "Idempotency keys") against real PostgreSQL:
// replay, mismatches, per-principal scope, concurrency, what is not stored, takeover of
// stale claims, expiry, the PostgREST error shape, and the routes and settings where the
// header is ignored. Handlers do real work (a row in public.idem_runs per execution) so a
// replay is visible.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, errors, IdempotencyStore } from '../src/http/index.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp; // defaults: enabled, processing_timeout 60 s
let fast: TestApp; // processing_timeout 30 s (default 60 s), a 2-connection pool with a short wait
let disabled: TestApp; // idempotency.enabled = false
let getCount = 0;
const gates = new Map<string, { open: () => void; opened: Promise<void> }>();

type Body = { tag?: string; ms?: number; [k: string]: unknown };
const tagOf = (request: FastifyRequest) => ((request.body ?? {}) as Body).tag ?? '';

async function record(route: string, request: FastifyRequest): Promise<number> {
  const [row] = await db.sql<{ id: number }[]>`
    insert into public.idem_runs (route, tag, who) values (${route}, ${tagOf(request)}, ${request.principal.userId ?? request.principal.role}) returning id`;
  return row!.id;
}

function routes(app: FastifyInstance): void {
  const create = (route: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const id = await record(route, request);
    reply.code(201).header('Location', `/api/v1/__idem/items/${id}`).header('X-Affected-Count', '1')
      .header('Set-Cookie', 'session=secret').header('X-Unstored', 'yes');
    return { id, tag: tagOf(request), who: request.principal.userId ?? request.principal.role };
  };
  app.post('/api/v1/__idem/items', create('items'));
  app.put('/api/v1/__idem/items', create('items'));
  app.post('/api/v1/auth/__idem/items', create('auth'));
  app.post('/rest/v1/__idem/items', async (request, reply) => {
    const id = await record('rest', request);
    return reply.code(201).send([{ id, tag: tagOf(request) }]);
  });
  app.get('/api/v1/__idem/items', async () => ({ n: ++getCount }));
  app.post('/api/v1/__idem/slow', async (request, reply) => {
    const id = await record('slow', request);
    await new Promise((r) => setTimeout(r, (request.body as Body).ms ?? 300));
    return reply.code(201).send({ id });
  });
  // Blocks its first execution for a tag until the test opens the gate.
  app.post('/api/v1/__idem/gated', async (request, reply) => {
    const id = await record('gated', request);
    const gate = gates.get(tagOf(request));
    if (gate) {
      gates.delete(tagOf(request));
      await gate.opened;
    }
    return reply.code(201).send({ id });
  });
  // Fails its first execution for a tag with the status in the path, then succeeds.
  app.post('/api/v1/__idem/flaky/:status', async (request, reply) => {
    const id = await record('flaky', request);
    if ((await runs(tagOf(request))) === 1) {
      const status = Number((request.params as { status: string }).status);
      if (status === 500) throw new Error('boom');
      if (status === 503) throw errors.serviceUnavailable('try later');
      if (status === 401) throw errors.missingAuthentication();
      if (status === 429) throw new AppError('RATE_LIMITED');
      if (status === 400) throw new AppError('VALIDATION_FAILED', { message: 'bad' });
    }
    return reply.code(201).send({ id });
  });
}

async function runs(tag: string): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from public.idem_runs where tag = ${tag}`;
  return row!.n;
}
async function keyRow(key: string) {
  const [row] = await db.sql<{ state: string; scope: string; status: number | null }[]>`
    select state, scope, status from fluxbase.idempotency_keys where key = ${key}`;
  return row;
}
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
function openableGate(tag: string): () => void {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  gates.set(tag, { open, opened });
  return open;
}

interface Sent { status: number; headers: Headers; text: string; json: () => Record<string, unknown> }
async function send(target: TestApp, path: string, options: { key?: string; method?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Sent> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers['Idempotency-Key'] = options.key;
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await target.fetch(path, { method: options.method ?? 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A request from a chosen loopback source address (anon scope is per client IP). */
function postFrom(localAddress: string, path: string, key: string, body: unknown): Promise<{ status: number; replayed: string | undefined; body: string }> {
  const url = new URL(path, app.url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress, agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), 'Idempotency-Key': key },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => {
        resolve({ status: res.statusCode ?? 0, replayed: res.headers['idempotency-replayed'] as string | undefined, body: text });
      });
    });
    req.on('error', reject).end(payload);
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql`create table public.idem_runs (id serial primary key, route text not null, tag text not null, who text)`;
  [app, fast, disabled] = await Promise.all([
    startTestApp(db.url, { plugins: [routes] }),
    startTestApp(db.url, {
      plugins: [routes],
      overrides: { idempotency: { processing_timeout: '30s' }, database: { max_connections: 2, min_connections: 1, pool_wait_timeout: '300ms' } },
    }),
    startTestApp(db.url, { plugins: [routes], overrides: { idempotency: { enabled: false } } }),
  ]);
});
afterAll(async () => {
  await Promise.all([app?.close(), fast?.close(), disabled?.close()]);
  await db?.drop();
});

describe('replay', () => {
  it('replays status, body and representation headers with Idempotency-Replayed, running the handler once', async () => {
    const key = randomUUID();
    const tag = randomUUID();
    const first = await send(app, '/api/v1/__idem/items', { key, body: { tag } });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotency-replayed')).toBeNull();
    const second = await send(app, '/api/v1/__idem/items', { key, body: { tag } });
    expect(second.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect(second.headers.get('idempotency-replayed')).toBe('true');
    for (const h of ['content-type', 'location', 'x-affected-count']) expect(second.headers.get(h)).toBe(first.headers.get(h));
    expect(second.headers.get('set-cookie')).toBeNull();
    expect(second.headers.get('x-unstored')).toBeNull();
    expect(second.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    expect(await runs(tag)).toBe(1);
    expect(await keyRow(key)).toMatchObject({ state: 'completed', status: 201, scope: 'anon:127.0.0.1' });
  });

  it('compares the raw body bytes: the same JSON spelled differently is another body', async () => {
    const key = randomUUID();
    const tag = randomUUID();
    expect((await send(app, '/api/v1/__idem/items', { key, raw: `{"tag":"${tag}"}` })).status).toBe(201);
    const spaced = await send(app, '/api/v1/__idem/items', { key, raw: `{"tag": "${tag}"}` });
    expect(spaced.status).toBe(422);
    expect(spaced.json().code).toBe('IDEMPOTENCY_REQUEST_BODY_MISMATCH');
    expect(await runs(tag)).toBe(1);
  });

  it('answers 422 IDEMPOTENCY_REQUEST_BODY_MISMATCH for another body on the same URL', async () => {
    const key = randomUUID();
    const tag = randomUUID();
    await send(app, '/api/v1/__idem/items', { key, body: { tag } });
    const res = await send(app, '/api/v1/__idem/items', { key, body: { tag, extra: 1 } });
    expect(res.status).toBe(422);
    expect(res.json()).toMatchObject({ code: 'IDEMPOTENCY_REQUEST_BODY_MISMATCH', error: 'Idempotency request body mismatch' });
    expect(typeof res.json().request_id).toBe('string');
    expect(await runs(tag)).toBe(1);
  });

  it('answers 422 IDEMPOTENCY_KEY_MISMATCH naming both requests for another path, query or method', async () => {
    const key = randomUUID();
    const tag = randomUUID();
    await send(app, '/api/v1/__idem/items', { key, body: { tag } });
    const otherQuery = await send(app, '/api/v1/__idem/items?x=1', { key, body: { tag } });
    expect(otherQuery.status).toBe(422);
    expect(otherQuery.json()).toMatchObject({
      code: 'IDEMPOTENCY_KEY_MISMATCH',
      details: { original_method: 'POST', original_path: '/api/v1/__idem/items', current_method: 'POST', current_path: '/api/v1/__idem/items?x=1' },
    });
    const otherMethod = await send(app, '/api/v1/__idem/items', { key, method: 'PUT', body: { tag } });
    expect(otherMethod.status).toBe(422);
    expect(otherMethod.json().details).toEqual({ original_method: 'POST', original_path: '/api/v1/__idem/items', current_method: 'PUT', current_path: '/api/v1/__idem/items' });
    const otherPath = await send(app, '/api/v1/__idem/slow', { key, body: { tag } });
    expect(otherPath.json().code).toBe('IDEMPOTENCY_KEY_MISMATCH');
    expect(await runs(tag)).toBe(1);
  });
});

describe('key length', () => {
  it('refuses 257 characters with 400 IDEMPOTENCY_KEY_TOO_LONG (on any method) and accepts 256', async () => {
    const tag = randomUUID();
    const long = await send(app, '/api/v1/__idem/items', { key: 'k'.repeat(257), body: { tag } });
    expect(long.status).toBe(400);
    expect(long.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_TOO_LONG', error: 'Idempotency key too long', details: { max_length: 256, length: 257 } });
    expect(await runs(tag)).toBe(0);
    const getLong = await send(app, '/api/v1/__idem/items', { key: 'k'.repeat(257), method: 'GET' });
    expect(getLong.status).toBe(400);
    expect(getLong.json().code).toBe('IDEMPOTENCY_KEY_TOO_LONG');

    const key = randomUUID().padEnd(256, 'x');
    expect((await send(app, '/api/v1/__idem/items', { key, body: { tag } })).status).toBe(201);
    const again = await send(app, '/api/v1/__idem/items', { key, body: { tag } });
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(await runs(tag)).toBe(1);
  });
});

describe('scope', () => {
  it('keeps one key per user: the same key from two users executes twice, each replaying its own', async () => {
    const key = randomUUID();
    const tag = randomUUID();
    const u1 = bearer(app.userToken('u1'));
    const u2 = bearer(app.userToken('u2'));
    const a = await send(app, '/api/v1/__idem/items', { key, body: { tag }, headers: u1 });
    const b = await send(app, '/api/v1/__idem/items', { key, body: { tag }, headers: u2 });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get('idempotency-replayed')).toBeNull();
    expect(await runs(tag)).toBe(2);
    const a2 = await send(app, '/api/v1/__idem/items', { key, body: { tag }, headers: u1 });
    expect(a2.headers.get('idempotency-replayed')).toBe('true');
    expect(a2.json().who).toBe('u1');
    // A different body from u2 is u2's own mismatch, not u1's key.
    const b2 = await send(app, '/api/v1/__idem/items?x=1', { key, body: { tag }, headers: u2 });
    expect(b2.json().details).toMatchObject({ original_path: '/api/v1/__idem/items' });
    expect(await runs(tag)).toBe(2);
    const scopes = await db.sql`select scope from fluxbase.idempotency_keys where key = ${key} order by scope`;
    expect(scopes.map((r) => r.scope)).toEqual(['user:u1', 'user:u2']);
  });

  it('keeps service_role and anon apart', async () => {
    const key = randomUUID();
    const tag = randomUUID();
    await send(app, '/api/v1/__idem/items', { key, body: { tag }, headers: bearer(app.keys.service_role) });
    const anon = await send(app, '/api/v1/__idem/items', { key, body: { tag }, headers: { apikey: app.keys.anon } });
    expect(anon.headers.get('idempotency-replayed')).toBeNull();
    expect(anon.json().who).toBe('anon');
    expect(await runs(tag)).toBe(2);
  });

  it('scopes anonymous callers by client IP', async () => {
    const key = randomUUID();
    const tag = randomUUID();
    const first = await postFrom('127.0.0.1', '/api/v1/__idem/items', key, { tag });
    const sameIp = await postFrom('127.0.0.1', '/api/v1/__idem/items', key, { tag });
    expect([first.status, sameIp.status, sameIp.replayed]).toEqual([201, 201, 'true']);
    expect(await runs(tag)).toBe(1);
    const otherIp = await postFrom('127.0.0.2', '/api/v1/__idem/items', key, { tag });
    expect(otherIp.status).toBe(201);
    expect(otherIp.replayed).toBeUndefined();
    expect(await runs(tag)).toBe(2);
    const scopes = await db.sql`select scope from fluxbase.idempotency_keys where key = ${key} order by scope`;
    expect(scopes.map((r) => r.scope)).toEqual(['anon:127.0.0.1', 'anon:127.0.0.2']);
  });
});

describe('concurrency', () => {
  it('runs exactly one of 20 concurrent requests with one key; the others get 409 or the replay', async () => {
    const key = randomUUID();
    const tag = randomUUID();
    const all = await Promise.all(Array.from({ length: 20 }, () => send(app, '/api/v1/__idem/slow', { key, body: { tag, ms: 300 } })));
    expect(await runs(tag)).toBe(1);
    const executed = all.filter((r) => r.status === 201 && r.headers.get('idempotency-replayed') === null);
    expect(executed).toHaveLength(1);
    for (const r of all) {
      if (r === executed[0]) continue;
      if (r.status === 409) {
        expect(r.json()).toMatchObject({ code: 'IDEMPOTENCY_REQUEST_IN_PROGRESS', hint: 'Retry in a few seconds' });
      } else {
        expect(r.status).toBe(201);
        expect(r.headers.get('idempotency-replayed')).toBe('true');
        expect(r.text).toBe(executed[0]!.text);
      }
    }
    const later = await send(app, '/api/v1/__idem/slow', { key, body: { tag, ms: 300 } });
    expect(later.headers.get('idempotency-replayed')).toBe('true');
    expect(await runs(tag)).toBe(1);
  });
});

describe('responses that are not stored', () => {
  it.each([500, 503, 401, 429])('releases the key after a %i: the retry executes again', async (status) => {
    const key = randomUUID();
    const tag = randomUUID();
    const first = await send(app, `/api/v1/__idem/flaky/${status}`, { key, body: { tag } });
    expect(first.status).toBe(status);
    expect(await keyRow(key)).toBeUndefined();
    const retry = await send(app, `/api/v1/__idem/flaky/${status}`, { key, body: { tag } });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotency-replayed')).toBeNull();
    expect(await runs(tag)).toBe(2);
  });

  it('stores other 4xx answers and replays them', async () => {
    const key = randomUUID();
    const tag = randomUUID();
    const first = await send(app, '/api/v1/__idem/flaky/400', { key, body: { tag } });
    expect(first.status).toBe(400);
    const retry = await send(app, '/api/v1/__idem/flaky/400', { key, body: { tag } });
    expect(retry.status).toBe(400);
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
    expect(retry.text).toBe(first.text);
    expect(await runs(tag)).toBe(1);
  });

  it('stores the answer of a request whose client went away, so its retry is replayed', async () => {
    const key = randomUUID();
    const tag = randomUUID();
    const open = openableGate(tag);
    const aborter = new AbortController();
    const gone = app.fetch('/api/v1/__idem/gated', {
      method: 'POST', signal: aborter.signal, headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key }, body: JSON.stringify({ tag }),
    }).catch((err: unknown) => err);
    await until('the handler to start', async () => (await runs(tag)) === 1);
    aborter.abort();
    await gone;
    open();
    await until('the response to be stored', async () => (await keyRow(key))?.state === 'completed');
    const retry = await send(app, '/api/v1/__idem/gated', { key, body: { tag } });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
    expect(await runs(tag)).toBe(1);
  });
});

describe('processing claims', () => {
  it('answers 409 while processing and lets a claim older than processing_timeout be taken over', async () => {
    const key = randomUUID();
    const tag = randomUUID();
    const open = openableGate(tag);
    const stuck = send(fast, '/api/v1/__idem/gated', { key, body: { tag } });
    await until('the claim', async () => (await keyRow(key))?.state === 'processing' && (await runs(tag)) === 1);

    const busy = await send(fast, '/api/v1/__idem/gated', { key, body: { tag } });
    expect(busy.status).toBe(409);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(busy.json()).toMatchObject({ code: 'IDEMPOTENCY_REQUEST_IN_PROGRESS', hint: 'Retry in a few seconds' });

    // Aged past the configured 30 s (not the default 60 s) instead of sleeping. A stale
    // claim for another request is still that request's key.
    await db.sql`update fluxbase.idempotency_keys set updated_at = now() - interval '45 seconds' where key = ${key}`;
    expect((await send(fast, '/api/v1/__idem/gated', { key, body: { tag, other: true } })).json().code).toBe('IDEMPOTENCY_REQUEST_BODY_MISMATCH');

    const takeover = await send(fast, '/api/v1/__idem/gated', { key, body: { tag } });
    expect(takeover.status).toBe(201);
    expect(takeover.headers.get('idempotency-replayed')).toBeNull();
    expect(await runs(tag)).toBe(2);

    // The original finishes late: its answer reaches its client but does not replace the new one.
    open();
    const late = await stuck;
    expect(late.status).toBe(201);
    expect(late.json().id).not.toBe(takeover.json().id);
    const replay = await send(fast, '/api/v1/__idem/gated', { key, body: { tag } });
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    expect(replay.json().id).toBe(takeover.json().id);
    expect(await runs(tag)).toBe(2);
  });

  it('fails with 503 when the store cannot reach the database, without running the handler', async () => {
    const tag = randomUUID();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const pool = fast.server.db.pool;
    const holders = [pool.withConnection(() => held), pool.withConnection(() => held)];
    try {
      const res = await send(fast, '/api/v1/__idem/items', { key: randomUUID(), body: { tag } });
      expect(res.status).toBe(503);
      expect(res.json().code).toBe('SERVICE_UNAVAILABLE');
      expect(await runs(tag)).toBe(0);
    } finally {
      release();
      await Promise.all(holders);
    }
  });
});

describe('expiry', () => {
  it('deleteExpired removes expired rows only, and the key then executes again', async () => {
    const key = randomUUID();
    const keep = randomUUID();
    const tag = randomUUID();
    await send(app, '/api/v1/__idem/items', { key, body: { tag } });
    await send(app, '/api/v1/__idem/items', { key: keep, body: { tag } });
    await db.sql`update fluxbase.idempotency_keys set expires_at = now() - interval '1 second' where key = ${key}`;
    const store = new IdempotencyStore(app.server.db.pool, { ttlMs: 60_000, processingTimeoutMs: 60_000 });
    expect(await store.deleteExpired()).toBeGreaterThanOrEqual(1);
    expect(await keyRow(key)).toBeUndefined();
    expect(await keyRow(keep)).toMatchObject({ state: 'completed' });
    const again = await send(app, '/api/v1/__idem/items', { key, body: { tag } });
    expect(again.headers.get('idempotency-replayed')).toBeNull();
    expect(await runs(tag)).toBe(3);
  });

  it('treats an expired row not yet cleaned up as absent', async () => {
    const key = randomUUID();
    const tag = randomUUID();
    await send(app, '/api/v1/__idem/items', { key, body: { tag } });
    await db.sql`update fluxbase.idempotency_keys set expires_at = now() - interval '1 second' where key = ${key}`;
    // Even another URL may use it now: the old request is forgotten.
    const again = await send(app, '/api/v1/__idem/items?x=1', { key, body: { tag } });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotency-replayed')).toBeNull();
    expect(await runs(tag)).toBe(2);
  });
});

describe('mounts and exclusions', () => {
  it('renders idempotency errors in PostgREST shape on /rest/v1 and replays there', async () => {
    const key = randomUUID();
    const tag = randomUUID();
    const first = await send(app, '/rest/v1/__idem/items', { key, body: { tag } });
    const replay = await send(app, '/rest/v1/__idem/items', { key, body: { tag } });
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    expect(replay.text).toBe(first.text);
    const mismatch = await send(app, '/rest/v1/__idem/items?select=id', { key, body: { tag } });
    expect(mismatch.status).toBe(422);
    const body = mismatch.json();
    expect(body).toEqual({
      code: 'IDEMPOTENCY_KEY_MISMATCH', message: expect.any(String), hint: null, request_id: mismatch.headers.get('x-request-id'),
      details: { original_method: 'POST', original_path: '/rest/v1/__idem/items', current_method: 'POST', current_path: '/rest/v1/__idem/items?select=id' },
    });
    expect(body).not.toHaveProperty('error');
    const long = await send(app, '/rest/v1/__idem/items', { key: 'k'.repeat(300), body: { tag } });
    expect(long.status).toBe(400);
    expect(long.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_TOO_LONG', hint: null });
    expect(await runs(tag)).toBe(1);
  });

  it('does not store GET requests', async () => {
    const key = randomUUID();
    const before = getCount;
    const a = await send(app, '/api/v1/__idem/items', { key, method: 'GET' });
    const b = await send(app, '/api/v1/__idem/items', { key, method: 'GET' });
    expect(b.headers.get('idempotency-replayed')).toBeNull();
    expect(b.json().n).toBe((a.json().n as number) + 1);
    expect(getCount).toBe(before + 2);
    expect(await keyRow(key)).toBeUndefined();
  });

  it('never stores /api/v1/auth writes', async () => {
    const key = randomUUID();
    const tag = randomUUID();
    const a = await send(app, '/api/v1/auth/__idem/items', { key, body: { tag } });
    const b = await send(app, '/api/v1/auth/__idem/items', { key, body: { tag } });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get('idempotency-replayed')).toBeNull();
    expect(a.json().id).not.toBe(b.json().id);
    expect(await runs(tag)).toBe(2);
    expect(await keyRow(key)).toBeUndefined();
  });

  it('ignores the header entirely when idempotency.enabled is false', async () => {
    const key = randomUUID();
    const tag = randomUUID();
    const a = await send(disabled, '/api/v1/__idem/items', { key, body: { tag } });
    const b = await send(disabled, '/api/v1/__idem/items', { key, body: { tag } });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get('idempotency-replayed')).toBeNull();
    expect((await send(disabled, '/api/v1/__idem/items', { key: 'k'.repeat(257), body: { tag } })).status).toBe(201);
    expect(await runs(tag)).toBe(3);
    expect(await keyRow(key)).toBeUndefined();
  });
});
