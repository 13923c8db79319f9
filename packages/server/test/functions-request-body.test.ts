// Request bodies (docs/functions.md "The request"): a body over 64 KB or of unknown length
// (chunked) reaches the function as a stream while the client still sends it, warm and
// cold; server.body_limits.bulk_limit holds for it (413 before the function starts when the
// Content-Length says so, 413 midway for a chunked body); a function that ignores its body,
// and a client that goes away midway, leave the worker and the connection usable.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetrics } from './harness/child-server.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let warm: TestApp;
let cold: TestApp;
// The 'first' function calls this server once it has read its first chunk.
let gate: http.Server;
let gateUrl: string;
let gateHit: () => void = () => {};

const LIMIT = 2 * 1024 * 1024;

async function deploy(app: TestApp, name: string, code: string): Promise<void> {
  const res = await app.fetch('/api/v1/functions', {
    method: 'POST', headers: { authorization: `Bearer ${app.keys.service_role}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, code }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

// Reads the whole body chunk by chunk and answers its size, digest and chunk count.
const DIGEST = `export default async (req: Request) => {
  const hash = await crypto.subtle.digest("SHA-256", new Uint8Array(await new Response(req.body).arrayBuffer()));
  return { sha256: [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("") };
};
`;
// Echoes each chunk of the body as soon as it is read: only a streamed body lets the client
// read an echo before it has sent the rest.
const ECHO = `export default (req: Request) => new Response(req.body!.pipeThrough(new TransformStream()));\n`;
// Calls the gate after its first chunk: the client sends the rest only after that call, so
// the function must be running before its body has ended.
const FIRST = (url: string) => `export default async (req: Request) => {
  const reader = req.body!.getReader();
  let n = (await reader.read()).value!.length;
  await (await fetch(${JSON.stringify(url)})).text();
  for (let r = await reader.read(); !r.done; r = await reader.read()) n += r.value.length;
  return { bytes: n };
};
`;
const IGNORE = 'export default () => "ignored";\n';
const COUNT = `let calls = 0;
export default async (req: Request) => {
  calls++;
  try {
    let n = 0;
    for await (const c of req.body!) n += c.length;
    return { calls, bytes: n };
  } catch (e) {
    console.log("body failed:", (e as Error).message);
    throw e;
  }
};
`;

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string }

/** One call with a chunked body written by `send` (node:http: full control over when bytes go out). */
function call(app: TestApp, name: string, send: (req: http.ClientRequest, res: Promise<http.IncomingMessage>) => Promise<void>, agent?: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${app.url}/functions/v1/${name}`, {
      method: 'POST', agent: agent ?? false,
      headers: { authorization: `Bearer ${app.keys.service_role}`, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
    });
    const response = new Promise<http.IncomingMessage>((r) => req.once('response', r));
    req.once('error', reject);
    response.then((res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.once('error', reject);
    }, reject);
    send(req, response).catch(reject);
  });
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Writes `data` in 64 KB pieces, waiting for drain, then ends the request. */
async function writeAll(req: http.ClientRequest, data: Buffer): Promise<void> {
  for (let off = 0; off < data.length; off += 65_536) {
    if (!req.write(data.subarray(off, off + 65_536))) await new Promise((r) => req.once('drain', r));
  }
  req.end();
}

beforeAll(async () => {
  gate = http.createServer((_req, res) => {
    gateHit();
    res.end('ok');
  });
  await new Promise<void>((r) => gate.listen(0, '127.0.0.1', r));
  gateUrl = `http://127.0.0.1:${(gate.address() as AddressInfo).port}/first`;
  db = await createTestDatabase();
  const overrides = { server: { body_limits: { bulk_limit: LIMIT } } };
  [warm, cold] = await Promise.all([
    startTestApp(db.url, { overrides }),
    startTestApp(db.url, { overrides: { ...overrides, functions: { warm_pool_size: 0 } } }),
  ]);
  await deploy(warm, 'digest', DIGEST);
  for (const [name, code] of [['echo', ECHO], ['ignore', IGNORE], ['count', COUNT], ['first', FIRST(gateUrl)]] as const) await deploy(warm, name, code);
}, 60_000);

afterAll(async () => {
  await Promise.all([warm?.close(), cold?.close()]);
  await db?.drop();
  gate?.closeAllConnections();
  await new Promise<void>((r) => gate.close(() => r()));
});

describe.each([['warm', () => warm], ['cold', () => cold]] as const)('a streamed request body (%s)', (_kind, app) => {
  it('reaches the function while the client still sends it', async () => {
    const hit = new Promise<void>((r) => (gateHit = r));
    const res = await call(app(), 'first', async (req) => {
      req.write(Buffer.alloc(1000, 1));
      await hit; // the function has read the first chunk and called the gate
      req.end(Buffer.alloc(5000, 2));
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ bytes: 6000 });
  });

  it('arrives whole and in order, chunked or over 64 KB', async () => {
    const data = randomBytes(LIMIT - 1000);
    const chunked = await call(app(), 'digest', (req) => writeAll(req, data));
    expect(chunked.status).toBe(200);
    expect(JSON.parse(chunked.body)).toEqual({ sha256: sha256(data) });
    // With a Content-Length over 64 KB (streamed) and under it (read whole).
    for (const size of [300_000, 1000]) {
      const part = data.subarray(0, size);
      const res = await app().fetch('/functions/v1/digest', { method: 'POST', headers: { authorization: `Bearer ${app().keys.service_role}` }, body: part });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ sha256: sha256(part) });
    }
  });

  it('answers 413 for a chunked body that outgrows server.body_limits.bulk_limit, and keeps serving', async () => {
    const res = await call(app(), 'count', (req) => writeAll(req, Buffer.alloc(LIMIT + 65_536, 1)));
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/limit/) });
    const next = await call(app(), 'count', (req) => writeAll(req, Buffer.alloc(100_000, 1)));
    expect(next.status).toBe(200);
    expect(JSON.parse(next.body)).toMatchObject({ bytes: 100_000 });
  });

  it('refuses a Content-Length over the limit before the function starts', async () => {
    await app().server.app.functions.service.flush();
    const before = await app().fetch('/api/v1/functions/count/executions', { headers: { authorization: `Bearer ${app().keys.service_role}` } }).then((r) => r.json() as Promise<unknown[]>);
    const res = await app().fetch('/functions/v1/count', { method: 'POST', headers: { authorization: `Bearer ${app().keys.service_role}` }, body: Buffer.alloc(LIMIT + 1) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { max_bytes: LIMIT } });
    // Give the batched execution log its chance, then check no row was added by the refusal.
    await app().server.app.functions.service.flush();
    const after = await app().fetch('/api/v1/functions/count/executions', { headers: { authorization: `Bearer ${app().keys.service_role}` } }).then((r) => r.json() as Promise<unknown[]>);
    expect(after.length).toBe(before.length);
  });

  it('survives a client that goes away midway, and a function that ignores its body', async () => {
    await new Promise<void>((resolve) => {
      const req = http.request(`${app().url}/functions/v1/count`, {
        method: 'POST', agent: false,
        headers: { authorization: `Bearer ${app().keys.service_role}`, 'transfer-encoding': 'chunked' },
      });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(200_000, 1), () => setImmediate(() => {
        req.destroy();
        resolve();
      }));
    });
    // The function ignores a 1.5 MB body: the answer comes, and the same keep-alive
    // connection serves the next call (the rest of the body was drained, not left unread).
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ignored = await call(app(), 'ignore', (req) => writeAll(req, Buffer.alloc(1_500_000, 2)), agent);
      expect(ignored).toMatchObject({ status: 200, body: '"ignored"' });
      const next = await call(app(), 'count', (req) => writeAll(req, Buffer.alloc(70_000, 3)), agent);
      expect(next.status).toBe(200);
      expect(JSON.parse(next.body)).toMatchObject({ bytes: 70_000 });
    } finally {
      agent.destroy();
    }
  });
});

describe('a streamed request body on a warm worker', () => {
  it('reaches the function while the client still sends it (echoed chunk by chunk)', async () => {
    const res = await call(warm, 'echo', async (req, response) => {
      req.write('first;');
      const reply = await response;
      expect(reply.statusCode).toBe(200);
      // The echo of the first chunk arrives before the client sends anything else.
      const first = await new Promise<string>((r) => reply.once('data', (c: Buffer) => r(c.toString())));
      expect(first).toBe('first;');
      req.end('second;');
    });
    expect(res.body).toBe('first;second;');
  });

  it('keeps the worker warm across bodies that failed, were cut, or were ignored', async () => {
    const started = async () => parseMetrics(await (await warm.fetch('/metrics')).text()).value('fluxbase_functions_starts_total', { kind: 'cold' });
    await call(warm, 'count', (req) => writeAll(req, Buffer.alloc(10, 1)));
    await call(warm, 'ignore', (req) => writeAll(req, Buffer.alloc(10, 1)));
    const before = await started();
    expect((await call(warm, 'count', (req) => writeAll(req, Buffer.alloc(LIMIT + 65_536, 1)))).status).toBe(413);
    expect((await call(warm, 'ignore', (req) => writeAll(req, Buffer.alloc(500_000, 1)))).status).toBe(200);
    expect((await call(warm, 'count', (req) => writeAll(req, Buffer.alloc(10, 1)))).status).toBe(200);
    // No new Deno process was needed.
    expect(await started()).toBe(before);
  });
});
