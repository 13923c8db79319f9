// Hardening 1.6 and 2.6 through the server (docs/hardening.md): 500 invocations mixing
// success (warm and cold), throws, timeouts, exits, huge output, streamed request bodies, and clients that hang up
// mid-request leave the server's open file descriptors (/proc/self/fd: the server runs in
// this process), its function temp folder and its Deno processes where they were; and a
// function that prints far past functions.max_output_size still answers, with the log cut.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;
let admin: Record<string, string>;

/**
 * Open descriptors by kind: pipes (to Deno processes), files, and sockets split into the
 * HTTP connections between this test and the server (both ends live here), database
 * connections, and the rest (Unix sockets to warm workers among them).
 */
function fds(): { pipes: number; files: number; http: number; db: number; other: number } {
  const out = { pipes: 0, files: 0, http: 0, db: 0, other: 0 };
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed while listing
    }
    const socket = /^socket:\[(\d+)\]$/.exec(target);
    if (socket) inodes.add(socket[1]!);
    else if (target.startsWith('pipe:')) out.pipes++;
    else out.files++;
  }
  const serverPort = Number(new URL(app.url).port);
  const dbPort = Number(new URL(db.url).port);
  const seen = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (!cols[9] || !inodes.has(cols[9])) continue;
      seen.add(cols[9]);
      const local = parseInt(cols[1]!.split(':')[1]!, 16);
      const remote = parseInt(cols[2]!.split(':')[1]!, 16);
      if (local === serverPort || remote === serverPort) out.http++;
      else if (remote === dbPort) out.db++;
      else out.other++;
    }
  }
  out.other += [...inodes].filter((i) => !seen.has(i)).length;
  return out;
}
const tmpEntries = () => readdirSync(path.join(app.server.config.data_dir, 'tmp', 'functions'));

async function deploy(name: string, code: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await app.fetch('/api/v1/functions', { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ name, code, ...extra }) });
  expect(res.status, await res.clone().text()).toBe(201);
}

async function invoke(name: string, init: RequestInit = {}): Promise<number> {
  try {
    const res = await app.fetch(`/functions/v1/${name}`, { method: 'POST', headers: admin, ...init });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return -1; // the client hung up
  }
}

async function settle(): Promise<void> {
  const fns = app.server.app.functions;
  for (let i = 0; i < 200 && fns.service.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 50));
  await fns.runtime.evict('');
}

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp(db.url, { overrides: { functions: { max_output_size: '64KB' } } });
  admin = { authorization: `Bearer ${app.keys.service_role}` };
  await deploy('ok', 'let n = 0; export default () => ({ n: ++n });\n');
  await deploy('throws', 'export default () => { throw new Error("x"); };\n');
  await deploy('slow', 'export default () => new Promise((r) => setTimeout(() => r("late"), 5000));\n', { timeout_seconds: 1 });
  await deploy('exits', 'export default () => Deno.exit(2);\n');
  await deploy('loud', 'export default () => { const line = "y".repeat(1023); for (let i = 0; i < 100 * 1024; i++) console.log(line); return "still here"; };\n');
  await deploy('waits', 'export default () => new Promise((r) => setTimeout(() => r("done"), 300));\n');
  await deploy('reads', 'export default async (req: Request) => ({ n: (await req.arrayBuffer()).byteLength });\n');
}, 60_000);

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

describe('resources across 500 mixed invocations', () => {
  it('keeps 100 MB of output from costing the response, and cuts the log at the cap', async () => {
    const res = await app.fetch('/functions/v1/loud', { method: 'POST', headers: admin });
    expect(res.status).toBe(200);
    expect(await res.json()).toBe('still here');
    for (let i = 0; i < 50; i++) {
      const rows = await (await app.fetch('/api/v1/functions/loud/executions', { headers: admin })).json() as { logs: string }[];
      if (rows.length > 0) {
        expect(rows[0]!.logs).toMatch(/\[OUTPUT TRUNCATED: \d+ bytes dropped\]/);
        expect(rows[0]!.logs.length).toBeLessThanOrEqual(64 * 1024 + 200);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no execution row for loud');
  });

  it('leaves file descriptors, temp folders and processes where they were', async () => {
    // Warm up: pool connections, the module cache, one worker per function.
    for (const name of ['ok', 'throws', 'exits', 'waits']) await invoke(name);
    await settle();
    const before = fds();
    // upload: a 300 KB body, streamed to the function; upload-abort: a chunked body whose
    // client hangs up midway.
    const kinds = ['ok', 'ok', 'ok', 'throws', 'exits', 'abort', 'ok', 'throws', 'waits', 'abort', 'upload', 'upload-abort'];
    let timeouts = 0;
    const statuses: Record<string, number> = {};
    const queue = Array.from({ length: 500 }, (_, i) => kinds[i % kinds.length]!);
    // Every 50th is a timeout (1 s each): ten in all.
    for (let i = 25; i < queue.length; i += 50) queue[i] = 'slow';
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < queue.length) {
        const kind = queue[next++]!;
        let status: number;
        if (kind === 'abort') {
          const ac = new AbortController();
          setTimeout(() => ac.abort(), 50);
          status = await invoke('waits', { signal: ac.signal });
        } else if (kind === 'upload') {
          status = await invoke('reads', { body: Buffer.alloc(300_000, 7) });
        } else if (kind === 'upload-abort') {
          const ac = new AbortController();
          setTimeout(() => ac.abort(), 50);
          const body = new ReadableStream({ start: (c) => c.enqueue(new Uint8Array(100_000)) }); // never ends
          status = await invoke('reads', { body, signal: ac.signal, duplex: 'half' } as RequestInit);
        } else {
          status = await invoke(kind);
        }
        if (kind === 'slow') timeouts++;
        statuses[`${kind}:${status}`] = (statuses[`${kind}:${status}`] ?? 0) + 1;
      }
    }));
    expect(timeouts).toBe(10);
    expect(statuses['ok:200']).toBeGreaterThan(100);
    expect(statuses['throws:500']).toBeGreaterThan(50);
    expect(statuses['exits:500']).toBeGreaterThan(25);
    expect(statuses['slow:504']).toBe(10);
    expect(statuses['abort:-1']).toBeGreaterThan(50);
    expect(statuses['upload:200']).toBeGreaterThan(25);
    expect(statuses['upload-abort:-1']).toBeGreaterThan(25);
    await settle();
    expect(tmpEntries()).toEqual([]);
    expect(app.server.app.functions.runtime.stats().workers).toBe(0);
    // Pipes, files and other sockets (Unix sockets to warm workers among them) exactly as
    // before. The test's keep-alive connections to the server and the database pool may have
    // grown, within their bounds (8 clients here; database.max_connections 5 in tests).
    let after = fds();
    for (let i = 0; i < 50 && (after.pipes > before.pipes || after.files > before.files || after.other > before.other); i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = fds();
    }
    expect(after.pipes).toBe(before.pipes);
    expect(after.files).toBe(before.files);
    expect(after.other).toBe(before.other);
    expect(after.http).toBeLessThanOrEqual(2 * 16);
    expect(after.db).toBeLessThanOrEqual(before.db + 5);
    // And the server still serves.
    expect(await invoke('ok')).toBe(200);
  });
});
