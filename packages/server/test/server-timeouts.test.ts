// The time bounds on a request and the answers they produce, all in the error envelope
// (docs/errors.md) with request_id = X-Request-ID: 504 HANDLER_TIMEOUT past
// server.handler_timeout (both mounts, with and without the database), 408 REQUEST_TIMEOUT
// for a client that sends its headers too slowly, 503 SERVICE_UNAVAILABLE for a request
// arriving during shutdown, and /ready 503 while every pool connection is stuck.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';
import { testRoutes } from './harness/test-routes.ts';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql`create table public.locked (id int primary key)`;
  app = await startTestApp(db.url, {
    plugins: [testRoutes()],
    overrides: {
      server: { handler_timeout: '400ms', headers_timeout: '500ms', request_timeout: '5s' },
      database: { max_connections: 2, min_connections: 1, pool_wait_timeout: '5s' },
    },
  });
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

/** Send raw bytes, collect everything the server sends until it closes the socket. */
function rawExchange(port: number, write: (socket: net.Socket) => void, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got: ${data}`));
    }, timeoutMs);
    socket.on('data', (d) => (data += d));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.on('error', () => {});
    socket.on('connect', () => write(socket));
  });
}

function parseResponses(raw: string): { status: number; headers: Record<string, string>; body: Record<string, unknown> }[] {
  const out: { status: number; headers: Record<string, string>; body: Record<string, unknown> }[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1')) {
    const headEnd = rest.indexOf('\r\n\r\n');
    const [statusLine, ...lines] = rest.slice(0, headEnd).split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    const body = rest.slice(headEnd + 4, headEnd + 4 + length);
    out.push({ status: Number(statusLine!.split(' ')[1]), headers, body: JSON.parse(body || '{}') as Record<string, unknown> });
    rest = rest.slice(headEnd + 4 + length);
  }
  return out;
}

describe('server.handler_timeout', () => {
  it('answers 504 HANDLER_TIMEOUT in the Fluxbase envelope for a slow handler', async () => {
    const res = await app.fetch('/api/v1/__test/sleep?ms=1500', { headers: { 'X-Request-ID': 'slow-handler-1' } });
    expect(res.status).toBe(504);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'Handler timeout', code: 'HANDLER_TIMEOUT', request_id: 'slow-handler-1' });
    expect(body.message).toMatch(/server\.handler_timeout/);
    expect(res.headers.get('x-request-id')).toBe('slow-handler-1');
  });

  it('answers in the PostgREST shape on /rest/v1 and releases the database connection', async () => {
    const res = await app.fetch('/rest/v1/__test/sql', {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${app.keys.service_role}` },
      body: JSON.stringify({ sql: 'select pg_sleep(5)' }),
    });
    expect(res.status).toBe(504);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 'HANDLER_TIMEOUT', details: null, request_id: res.headers.get('x-request-id') });
    // The connection held by the sleeping statement is destroyed: both slots serve again at once.
    const ok = await Promise.all([app.fetch('/api/v1/__test/whoami'), app.fetch('/api/v1/__test/whoami')]);
    expect(ok.map((r) => r.status)).toEqual([200, 200]);
  });

  it('keeps serving after the late handler finishes (no double answer, gauges back to zero)', async () => {
    await new Promise((r) => setTimeout(r, 1500)); // the sleeping handlers of the tests above finish
    const res = await app.fetch('/health');
    expect(res.status).toBe(200);
    const metrics = await (await app.fetch('/metrics')).text();
    expect(metrics).toMatch(/^fluxbase_http_requests_in_flight 1$/m); // the scrape itself
    expect(metrics).toMatch(/^fluxbase_db_pool_connections\{state="in_use"\} 0$/m);
    expect(metrics).toMatch(/^fluxbase_http_handler_timeouts_total 2$/m);
  });
});

describe('server.headers_timeout', () => {
  it('answers 408 REQUEST_TIMEOUT in the envelope to a client that sends its headers too slowly', async () => {
    const port = Number(new URL(app.url).port);
    const raw = await rawExchange(port, (s) => s.write('GET /health HTTP/1.1\r\nHost: localhost\r\n')); // never finishes the headers
    const [res] = parseResponses(raw);
    expect(res!.status).toBe(408);
    expect(res!.headers.connection).toBe('close');
    expect(res!.body).toMatchObject({ code: 'REQUEST_TIMEOUT', error: 'Request timeout' });
    expect(res!.body.request_id).toBe(res!.headers['x-request-id']);
  });
});

describe('/ready while every pool connection is stuck', () => {
  it('answers 503 with the failing check, and 200 again once they are free', async () => {
    const slow = await startTestApp(db.url, {
      plugins: [testRoutes()],
      overrides: { server: { handler_timeout: '20s' }, database: { max_connections: 2, min_connections: 1 } },
    });
    const locker = await db.sql.reserve();
    try {
      await locker`begin`;
      await locker`lock table public.locked in access exclusive mode`;
      const stuck = [1, 2].map(() => slow.fetch('/api/v1/__test/sql', {
        method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${slow.keys.service_role}` },
        body: JSON.stringify({ sql: 'select * from public.locked' }),
      }));
      await new Promise((r) => setTimeout(r, 300));
      const ready = await slow.fetch('/ready');
      expect(ready.status).toBe(503);
      expect(ready.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await ready.json()) as { details: unknown }).details).toEqual({ checks: { database: false, migrations: false } });
      await locker`rollback`;
      expect((await Promise.all(stuck)).map((r) => r.status)).toEqual([200, 200]);
      expect((await slow.fetch('/ready')).status).toBe(200);
    } finally {
      locker.release();
      await slow.close();
    }
  });
});

describe('shutdown', () => {
  it('answers a request that arrives while stopping with 503 SERVICE_UNAVAILABLE, Retry-After and Connection: close', async () => {
    const stopping = await startTestApp(db.url, { plugins: [testRoutes()], overrides: { server: { handler_timeout: '10s' } } });
    const port = Number(new URL(stopping.url).port);
    // One connection: the first request is in flight when the stop begins; the second is
    // written on the same (busy, so not closed as idle) connection after the stop began.
    let socket!: net.Socket;
    const exchange = rawExchange(port, (s) => {
      socket = s;
      s.write('GET /api/v1/__test/sleep?ms=800 HTTP/1.1\r\nHost: localhost\r\n\r\n');
    });
    await new Promise((r) => setTimeout(r, 200));
    const closed = stopping.close();
    await new Promise((r) => setTimeout(r, 100));
    socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\nX-Request-ID: during-shutdown\r\n\r\n');
    const [first, second] = parseResponses(await exchange);
    await closed;
    expect(first!.status).toBe(200);
    expect(second!.status).toBe(503);
    expect(second!.headers['retry-after']).toMatch(/^\d+$/);
    expect(second!.headers.connection).toBe('close');
    expect(second!.headers['x-request-id']).toBe('during-shutdown');
    expect(second!.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', error: 'Service unavailable', request_id: 'during-shutdown' });
    expect(second!.body.message).toMatch(/shutting down/);
  });
});
