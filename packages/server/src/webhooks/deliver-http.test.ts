// postPinned against real HTTP servers on 127.0.0.1: what the receiver sees, how statuses,
// redirects, timeouts, huge bodies and network errors come back, and that the socket goes
// to the pinned address whatever the URL's host says.
import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { postPinned, type PinnedPost } from './deliver-http.ts';

interface Received { method: string | undefined; url: string | undefined; headers: IncomingHttpHeaders; body: string }

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: RequestListener = (_req, res) => res.end('ok')): Promise<{ port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      // The client hangs up early on purpose in some tests.
      res.on('error', () => undefined);
      handler(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, received };
}

const headers = { 'Content-Type': 'application/json', 'User-Agent': 'Fluxbase-Webhooks/1.0', 'X-Fluxbase-Event': 'INSERT', 'X-Fluxbase-Delivery': 'evt_1' };
const body = '{"id":"evt_1","event":"INSERT","record":{"title":"héllo ✓"}}';

function post(port: number, overrides: Partial<PinnedPost> = {}): ReturnType<typeof postPinned> {
  return postPinned({ url: new URL(`http://127.0.0.1:${port}/hook?x=1`), address: '127.0.0.1', family: 4, headers, body, timeoutMs: 5_000, ...overrides });
}

describe('postPinned', () => {
  it('POSTs the body and headers exactly and reports a 2xx as ok', async () => {
    const { port, received } = await serve((_req, res) => { res.statusCode = 201; res.end('created'); });
    const result = await post(port);
    expect(result).toMatchObject({ ok: true, status: 201, responseExcerpt: 'created', error: null });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/hook?x=1');
    expect(req?.body).toBe(body);
    expect(req?.headers).toMatchObject({
      'content-type': 'application/json', 'user-agent': 'Fluxbase-Webhooks/1.0', 'x-fluxbase-event': 'INSERT',
      'x-fluxbase-delivery': 'evt_1', host: `127.0.0.1:${port}`, 'content-length': String(Buffer.byteLength(body)),
    });
    expect(req?.headers['transfer-encoding']).toBeUndefined();
  });

  it('reports a 500 as not ok with its status and body', async () => {
    const { port } = await serve((_req, res) => { res.statusCode = 500; res.end('boom: database down'); });
    await expect(post(port)).resolves.toMatchObject({ ok: false, status: 500, responseExcerpt: 'boom: database down', error: null });
  });

  it('does not follow a redirect: a 302 is a failed attempt and its target sees nothing', async () => {
    const target = await serve();
    const { port } = await serve((_req, res) => { res.writeHead(302, { Location: `http://127.0.0.1:${target.port}/elsewhere` }); res.end(); });
    await expect(post(port)).resolves.toMatchObject({ ok: false, status: 302, error: null });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(target.received).toEqual([]);
  });

  it('gives up on a server that never answers, with a timeout error', async () => {
    const { port } = await serve(() => undefined);
    await expect(post(port, { timeoutMs: 300 })).resolves.toMatchObject({ ok: false, status: null, responseExcerpt: '', error: 'timed out after 300 ms' });
  });

  it('counts a body that stalls after a 2xx status as a timed-out attempt', async () => {
    const { port } = await serve((_req, res) => { res.writeHead(200); res.write('partial'); });
    await expect(post(port, { timeoutMs: 300 })).resolves.toMatchObject({ ok: false, status: 200, responseExcerpt: 'partial', error: 'timed out after 300 ms' });
  });

  it('keeps exactly the first 4096 bytes of a 10 MB response and stops reading', async () => {
    const { port } = await serve((_req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end(Buffer.alloc(10 * 1024 * 1024, 'a')); });
    const result = await post(port);
    expect(result).toMatchObject({ ok: true, status: 200, error: null });
    expect(Buffer.byteLength(result.responseExcerpt)).toBe(4096);
    expect(result.responseExcerpt).toBe('a'.repeat(4096));
  });

  it('fails a response cut off mid-body', async () => {
    const { port } = await serve((_req, res) => { res.writeHead(200, { 'Content-Length': '100' }); res.write('short', () => res.destroy()); });
    const result = await post(port);
    expect(result).toMatchObject({ ok: false, status: 200, responseExcerpt: 'short' });
    expect(result.error).toMatch(/aborted|closed before the response ended/);
  });

  it('connects to the pinned address while sending the URL host in Host', async () => {
    const { port, received } = await serve();
    const result = await post(port, { url: new URL(`http://example.invalid:${port}/hook`) });
    expect(result).toMatchObject({ ok: true, status: 200, responseExcerpt: 'ok' });
    expect(received[0]?.headers.host).toBe(`example.invalid:${port}`);
    expect(received[0]?.url).toBe('/hook');
  });

  it('returns a refused connection as an error without a status', async () => {
    const { port } = await serve();
    const server = servers.pop();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    const result = await post(port);
    expect(result).toMatchObject({ ok: false, status: null, responseExcerpt: '' });
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it('returns invalid headers as an error instead of throwing', async () => {
    const { port, received } = await serve();
    const result = await post(port, { headers: { 'X-Bad': 'line\r\nbreak' } });
    expect(result).toMatchObject({ ok: false, status: null });
    expect(result.error).toMatch(/Invalid character/i);
    expect(received).toEqual([]);
  });
});
