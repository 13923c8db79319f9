// Streamed responses (docs/functions.md "Streaming"): a warm worker's body that is not
// complete within 20 ms reaches the client as it is produced (proved causally: the function
// waits for the client to have read its first event before it writes the second), the
// execution row is written when the stream ends, and a client that hangs up, a timeout and a
// body over functions.max_response_size each end the stream and leave the server healthy.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;
let admin: Record<string, string>;
let gate: http.Server;
let gateUrl: string;
let release: () => void = () => {};
const released = new Promise<void>((r) => (release = r));

async function deploy(name: string, code: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await app.fetch('/api/v1/functions', { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ name, code, ...extra }) });
  expect(res.status, await res.clone().text()).toBe(201);
}

async function executions(name: string, count: number): Promise<{ status: string; status_code: number; logs: string | null }[]> {
  let rows: { status: string; status_code: number; logs: string | null }[] = [];
  await vi.waitFor(async () => {
    rows = await (await app.fetch(`/api/v1/functions/${name}/executions`, { headers: admin })).json() as typeof rows;
    expect(rows.length).toBeGreaterThanOrEqual(count);
  }, { timeout: 10_000, interval: 100 });
  return rows;
}

beforeAll(async () => {
  // The function waits on this server before its second event; it answers once the test read the first.
  gate = http.createServer((_req, res) => void released.then(() => res.end('go')));
  await new Promise<void>((r) => gate.listen(0, '127.0.0.1', r));
  gateUrl = `http://127.0.0.1:${(gate.address() as AddressInfo).port}/release`;
  db = await createTestDatabase();
  app = await startTestApp(db.url, { overrides: { functions: { max_response_size: '1MB' } } });
  admin = { authorization: `Bearer ${app.keys.service_role}` };
}, 60_000);

afterAll(async () => {
  await app?.close();
  await db?.drop();
  gate?.closeAllConnections();
  await new Promise<void>((r) => gate.close(() => r()));
});

describe('streamed responses', () => {
  it('sends events as they are produced, then records the execution', async () => {
    await deploy('events', `export default () => {
      const enc = new TextEncoder();
      const body = new ReadableStream({
        async start(c) {
          console.log("streaming");
          c.enqueue(enc.encode("data: first\\n\\n"));
          await (await fetch(${JSON.stringify(gateUrl)})).text();
          c.enqueue(enc.encode("data: second\\n\\n"));
          c.close();
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    };\n`);
    const res = await app.fetch('/functions/v1/events', { headers: admin });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('x-fluxbase-execution-id')).toBeTruthy();
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = '';
    while (!text.includes('data: first')) {
      const r = await reader.read();
      if (r.done) throw new Error(`ended before the first event: ${text}`);
      text += dec.decode(r.value);
    }
    // Only now may the function go on: without streaming it would wait forever.
    expect(text).not.toContain('second');
    release();
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      text += dec.decode(r.value);
    }
    expect(text).toBe('data: first\n\ndata: second\n\n');
    const [row] = await executions('events', 1);
    expect(row).toMatchObject({ status: 'success', status_code: 200 });
    expect(row!.logs).toContain('streaming');
  });

  it('stops the function when the client hangs up, and serves the next call', async () => {
    await deploy('endless', `let calls = 0; export default () => {
      calls++;
      const enc = new TextEncoder();
      let i = 0;
      const body = new ReadableStream({ async pull(c) { await new Promise((r) => setTimeout(r, 30)); c.enqueue(enc.encode("tick " + i++ + "\\n")); } });
      return new Response(body, { headers: { "x-calls": String(calls) } });
    };\n`);
    const ac = new AbortController();
    const res = await app.fetch('/functions/v1/endless', { headers: admin, signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    await vi.waitFor(() => expect(app.server.app.functions.service.inFlight).toBe(0), { timeout: 10_000, interval: 50 });
    const again = await app.fetch('/functions/v1/endless', { headers: admin });
    // A new worker: the one whose client left was stopped.
    expect(again.headers.get('x-calls')).toBe('1');
    await again.body!.cancel();
  });

  it('cuts a stream at the timeout and at functions.max_response_size, and records why', async () => {
    await deploy('slowstream', `export default () => new Response(new ReadableStream({ async pull(c) { await new Promise((r) => setTimeout(r, 50)); c.enqueue(new Uint8Array(10)); } }));\n`, { timeout_seconds: 1 });
    const slow = await app.fetch('/functions/v1/slowstream', { headers: admin });
    expect(slow.status).toBe(200);
    await expect(slow.arrayBuffer()).rejects.toThrow();
    expect((await executions('slowstream', 1))[0]).toMatchObject({ status: 'timeout', status_code: 504 });

    await deploy('bigstream', `export default () => new Response(new ReadableStream({ async pull(c) { await new Promise((r) => setTimeout(r, 25)); c.enqueue(new Uint8Array(256 * 1024)); } }));\n`);
    const big = await app.fetch('/functions/v1/bigstream', { headers: admin });
    await expect(big.arrayBuffer()).rejects.toThrow();
    const [row] = await executions('bigstream', 1);
    expect(row).toMatchObject({ status: 'error', status_code: 500 });
    await vi.waitFor(() => expect(app.server.app.functions.service.inFlight).toBe(0), { timeout: 10_000, interval: 50 });
    expect((await app.fetch('/health')).status).toBe(200);
  });
});
