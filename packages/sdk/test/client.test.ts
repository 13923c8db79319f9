// The SDK client against the real server: system routes, the error envelope, credentials
// on the wire, and the failures no server produces (refused connection, timeout, abort).
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../../server/test/harness/index.ts';
import { createClient, isFluxbaseError, type FluxbaseClient } from '../src/index.ts';

let db: TestDatabase;
let app: TestApp;

// No feature route exists yet that resolves the principal, so the test mounts two that
// go through the full pipeline (credentials, body parsing) and report what they saw.
const probeRoutes: NonNullable<Parameters<typeof startTestApp>[1]>['plugins'] = [
  (server) => {
    server.get('/sdk-test/whoami', async (request) => ({ kind: request.principal.kind, role: request.principal.role, user_id: request.principal.userId }));
    server.post('/sdk-test/echo', async (request) => ({ body: request.body, query: request.query, content_type: request.headers['content-type'] }));
    server.get('/sdk-test/csv', async (_request, reply) => reply.type('text/csv').send('id,name\n1,a\n'));
    server.delete('/sdk-test/empty', async (_request, reply) => reply.code(204).send());
  },
];

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp(db.url, { plugins: probeRoutes });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

interface Captured { url: string; method: string; headers: Headers }

function capturingClient(key: string, options: { headers?: Record<string, string> } = {}): { client: FluxbaseClient; sent: Captured[] } {
  const sent: Captured[] = [];
  const client = createClient(app.url, key, {
    ...options,
    fetch: (input, init) => {
      sent.push({ url: String(input), method: init?.method ?? 'GET', headers: new Headers(init?.headers) });
      return fetch(input, init);
    },
  });
  return { client, sent };
}

describe('system routes', () => {
  it('health() returns the server status', async () => {
    const { data, error } = await createClient(app.url, app.keys.anon).health();
    expect(error).toBeNull();
    expect(data?.status).toBe('ok');
    expect(data?.services.database).toBe(true);
    expect(Number.isNaN(Date.parse(data?.timestamp ?? ''))).toBe(false);
  });

  it('ready() reports database and migrations', async () => {
    const { data, error } = await createClient(`${app.url}/`, app.keys.anon).ready();
    expect(error).toBeNull();
    expect(data).toEqual({ status: 'ready', checks: { database: true, migrations: true } });
  });
});

describe('errors from the server', () => {
  it('turns the 404 envelope into a FluxbaseError with the request id', async () => {
    const client = createClient(app.url, app.keys.anon);
    const res = await client.request<unknown>('GET', '/api/v1/no-such-route');
    expect(res.data).toBeNull();
    expect(res.status).toBe(404);
    expect(isFluxbaseError(res.error)).toBe(true);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.error).toMatchObject({
      status: 404, code: 'NOT_FOUND', error: 'Not found', message: 'No route for GET /api/v1/no-such-route',
      details: { resource: 'route' }, requestId,
    });
  });

  it('reports a malformed access token as 401 INVALID_TOKEN', async () => {
    const client = createClient(app.url, app.keys.anon);
    client.setAuth('garbage');
    const res = await client.request('GET', '/sdk-test/whoami');
    expect(res.status).toBe(401);
    expect(res.error).toMatchObject({ status: 401, code: 'INVALID_TOKEN', details: { reason: 'malformed' } });
    expect(res.error?.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('refuses a bad key rather than falling back to anonymous', async () => {
    const res = await createClient(app.url, 'not-a-key').request('GET', '/sdk-test/whoami');
    // The key also travels as the Bearer token, which the server checks first.
    expect(res.data).toBeNull();
    expect(res.error).toMatchObject({ status: 401, code: 'INVALID_TOKEN', details: { reason: 'malformed' } });
  });
});

describe('credentials on the wire', () => {
  it('sends the key as apikey and Bearer, then the user token as Bearer after setAuth', async () => {
    const { client, sent } = capturingClient(app.keys.anon);

    const asKey = await client.request<{ kind: string; role: string }>('GET', '/sdk-test/whoami');
    expect(asKey.data).toEqual({ kind: 'anon_key', role: 'anon', user_id: null });
    expect(sent[0]?.headers.get('apikey')).toBe(app.keys.anon);
    expect(sent[0]?.headers.get('authorization')).toBe(`Bearer ${app.keys.anon}`);

    const userId = '3f1c6a52-8a4e-4a8e-9d3b-1b2c3d4e5f60';
    const token = app.userToken(userId);
    client.setAuth(token);
    const asUser = await client.request('GET', '/sdk-test/whoami');
    expect(asUser.data).toEqual({ kind: 'user', role: 'authenticated', user_id: userId });
    expect(sent[1]?.headers.get('apikey')).toBe(app.keys.anon);
    expect(sent[1]?.headers.get('authorization')).toBe(`Bearer ${token}`);

    client.setAuth(null);
    await client.request('GET', '/sdk-test/whoami');
    expect(sent[2]?.headers.get('authorization')).toBe(`Bearer ${app.keys.anon}`);
  });

  it('acts as service_role with the service key', async () => {
    const res = await createClient(app.url, app.keys.service_role).request('GET', '/sdk-test/whoami');
    expect(res.data).toEqual({ kind: 'service_role', role: 'service_role', user_id: null });
  });

  it('adds the client headers and lets per-request headers win', async () => {
    const { client, sent } = capturingClient(app.keys.anon, { headers: { 'X-Request-ID': 'sdk-client-1' } });
    const first = await client.request('GET', '/health');
    expect(first.headers.get('x-request-id')).toBe('sdk-client-1');
    const second = await client.request('GET', '/health', { headers: { 'X-Request-ID': 'sdk-call-2' } });
    expect(second.headers.get('x-request-id')).toBe('sdk-call-2');
    expect(sent.map((s) => s.headers.get('x-request-id'))).toEqual(['sdk-client-1', 'sdk-call-2']);
  });
});

describe('bodies and query strings', () => {
  it('sends JSON bodies and repeated query parameters', async () => {
    const client = createClient(app.url, app.keys.anon);
    const res = await client.request('POST', '/sdk-test/echo', {
      body: { title: 'héllo', tags: ['a', 'b'], n: 1 },
      query: { select: 'id,title', or: ['(a.eq.1)', '(b.eq.2)'], skipped: undefined, none: null, limit: 5 },
    });
    expect(res.error).toBeNull();
    expect(res.status).toBe(200);
    expect(res.data).toEqual({
      body: { title: 'héllo', tags: ['a', 'b'], n: 1 },
      query: { select: 'id,title', or: ['(a.eq.1)', '(b.eq.2)'], limit: '5' },
      content_type: 'application/json',
    });
  });

  it('returns non-JSON bodies as text and empty bodies as null', async () => {
    const client = createClient(app.url, app.keys.anon);
    const csv = await client.request<string>('GET', '/sdk-test/csv');
    expect(csv).toMatchObject({ data: 'id,name\n1,a\n', error: null, status: 200 });
    const empty = await client.request('DELETE', '/sdk-test/empty');
    expect(empty).toMatchObject({ data: null, error: null, status: 204 });
  });
});

describe('failures without a server answer', () => {
  let hanging: http.Server;
  let hangingUrl: string;

  beforeAll(async () => {
    // Accepts connections and never answers: only the client's timer can end the request.
    hanging = http.createServer(() => {});
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    hanging.closeAllConnections();
    await new Promise((resolve) => hanging.close(resolve));
  });

  it('reports a refused connection as NETWORK_ERROR with status 0', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    const res = await createClient(`http://127.0.0.1:${port}`, app.keys.anon).health();
    expect(res.data).toBeNull();
    expect(res.error).toMatchObject({ status: 0, code: 'NETWORK_ERROR', error: 'Network error' });
    expect(res.error?.message).toMatch(/ECONNREFUSED/);
  });

  it('gives up after timeoutMs with TIMEOUT', async () => {
    // The server never answers, so only the client's own timeout can end this request.
    const res = await createClient(hangingUrl, app.keys.anon, { timeoutMs: 100 }).request('GET', '/health');
    expect(res).toMatchObject({ data: null, status: 0, error: { status: 0, code: 'TIMEOUT' } });
  });

  it('reports a caller abort as ABORTED, not as a timeout', async () => {
    const controller = new AbortController();
    const pending = createClient(hangingUrl, app.keys.anon, { timeoutMs: 5000 }).request('GET', '/health', { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const res = await pending;
    expect(res.error).toMatchObject({ status: 0, code: 'ABORTED' });
  });
});
