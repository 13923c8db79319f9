// Bad input on the shared pipeline: body limits (with and without Content-Length), JSON
// syntax and depth, content types, oversized and malformed headers.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';
import { testRoutes, type TestRouteCounters } from './harness/test-routes.ts';

let db: TestDatabase;
let app: TestApp;
const counters: TestRouteCounters = { echo: 0 };

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp(db.url, {
    overrides: { server: { body_limits: { rest_limit: '2KB', auth_limit: '1KB' } } },
    plugins: [testRoutes(counters)],
  });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const json = (body: string, headers: Record<string, string> = {}) => ({ method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

/** Raw HTTP exchange, for chunked bodies and header abuse that fetch will not send. */
function raw(request: string | Buffer[], port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => (out += d.toString()));
    socket.on('error', (err) => (out ? resolve(out) : reject(err)));
    socket.on('close', () => resolve(out));
    socket.on('connect', () => {
      if (typeof request === 'string') socket.write(request);
      else for (const chunk of request) socket.write(chunk);
    });
    setTimeout(() => socket.end(), 1500);
  });
}
const portOf = (a: TestApp) => Number(new URL(a.url).port);

describe('body limits', () => {
  it('accepts a body under the limit', async () => {
    const res = await app.fetch('/api/v1/__test/echo', json(JSON.stringify({ a: 'x'.repeat(1000) })));
    expect(res.status).toBe(200);
  });

  it('refuses a body over the limit by Content-Length with 413 in human units, nothing processed', async () => {
    const before = counters.echo;
    const res = await app.fetch('/api/v1/__test/echo', json(JSON.stringify({ a: 'x'.repeat(3000) })));
    expect(res.status).toBe(413);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      error: 'Payload Too Large', code: 'PAYLOAD_TOO_LARGE',
      message: 'Request body exceeds the 2 KB limit for REST endpoints',
      hint: 'Send a smaller body or raise server.body_limits.rest_limit',
      details: { max_bytes: 2048, endpoint_type: 'REST' },
    });
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
    expect(counters.echo).toBe(before);
  });

  it('refuses a chunked body (no Content-Length) once it passes the limit, nothing processed', async () => {
    const before = counters.echo;
    const chunk = (s: string) => Buffer.from(`${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`);
    const parts = [Buffer.from('POST /api/v1/__test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n')];
    parts.push(chunk('{"a":"'));
    for (let i = 0; i < 6; i++) parts.push(chunk('y'.repeat(500)));
    parts.push(chunk('"}'), Buffer.from('0\r\n\r\n'));
    const out = await raw(parts, portOf(app));
    expect(out).toMatch(/^HTTP\/1\.1 413/);
    expect(out).toContain('"code":"PAYLOAD_TOO_LARGE"');
    expect(counters.echo).toBe(before);
  });

  it('accepts a chunked body under the limit', async () => {
    const s = '{"small":true}';
    const out = await raw(`POST /api/v1/__test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${s.length.toString(16)}\r\n${s}\r\n0\r\n\r\n`, portOf(app));
    expect(out).toMatch(/^HTTP\/1\.1 200/);
    expect(out).toContain('{"body":{"small":true}}');
  });

  it('uses the auth limit on /api/v1/auth/**', async () => {
    const res = await app.fetch('/api/v1/auth/__test/echo', json(JSON.stringify({ a: 'x'.repeat(1500) })));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { details: unknown }).details).toEqual({ max_bytes: 1024, endpoint_type: 'auth' });
  });
});

describe('JSON bodies', () => {
  it('answers malformed JSON with 400 INVALID_JSON', async () => {
    const res = await app.fetch('/api/v1/__test/echo', json('{"a": '));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('INVALID_JSON');
  });

  it('accepts depth 64 and refuses depth 65 with JSON_TOO_DEEP', async () => {
    const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect((await app.fetch('/api/v1/__test/echo', json(nest(64)))).status).toBe(200);
    const res = await app.fetch('/api/v1/__test/echo', json(nest(65)));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'JSON_TOO_DEEP', message: 'JSON nesting exceeds maximum depth of 64' });
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['application/xml']])('answers %s on a JSON route with 415', async (type) => {
    const res = await app.fetch('/api/v1/__test/echo', { method: 'POST', headers: { 'Content-Type': type }, body: 'a=1' });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { code: string }).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('accepts application/json with a charset and +json types', async () => {
    expect((await app.fetch('/api/v1/__test/echo', json('{"a":1}', { 'Content-Type': 'application/json; charset=utf-8' }))).status).toBe(200);
    expect((await app.fetch('/api/v1/__test/echo', json('{"a":1}', { 'Content-Type': 'application/vnd.pgrst.object+json' }))).status).toBe(200);
  });

  it('renders pipeline errors in the PostgREST shape on /rest/v1', async () => {
    const res = await app.fetch('/rest/v1/__test/echo', json('{"a": '));
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 'PGRST102', details: null, hint: null });
    expect(typeof body.message).toBe('string');
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
  });
});

describe('headers', () => {
  it('answers request headers over 16 KB with 431 HEADER_TOO_LARGE', async () => {
    const out = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`, portOf(app));
    expect(out).toMatch(/^HTTP\/1\.1 431/);
    expect(out).toContain('"code":"HEADER_TOO_LARGE"');
  });

  it('answers malformed headers with 400 in the envelope', async () => {
    const out = await raw('GET /health HTTP/1.1\r\nHost: x\r\nBad Header Name: v\r\n\r\n', portOf(app));
    expect(out).toMatch(/^HTTP\/1\.1 400/);
    expect(out).toContain('"code":"INVALID_FORMAT"');
  });

  it('answers a malformed Content-Length with 400', async () => {
    const out = await raw('POST /api/v1/__test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}', portOf(app));
    expect(out).toMatch(/^HTTP\/1\.1 400/);
  });
});
