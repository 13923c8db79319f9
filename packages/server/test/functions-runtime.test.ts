// The Deno function runtime against the real `deno` binary from node_modules: handler
// forms, request plumbing, typed failures, limits, sandbox flags, and release of every
// process, pipe and temp file on every path (hardening 1.6, 2.6). No database.
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DenoRuntime, type FunctionRuntimeError, type InvokeInput } from '../src/functions/index.ts';
import { pruneCodeDir } from '../src/functions/runtime/deno-runtime.ts';
import { failure, invokeInput, MiB } from './harness/functions.ts';

let tmpRoot: string;
let runtime: DenoRuntime;

beforeAll(() => {
  tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-fnrt-test-'));
  runtime = new DenoRuntime({ tmpRoot });
});
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

function input(code: string, over: Partial<InvokeInput> = {}): InvokeInput {
  return invokeInput(code, { url: 'http://localhost:8080/functions/v1/fn', maxOutputBytes: 10 * MiB }, over);
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('handlers and requests', () => {
  it('returns status, headers and body from an export default handler', async () => {
    const r = await runtime.invoke(input(`export default () => new Response('hello', { status: 201, headers: { 'x-fn': 'yes' } });`));
    expect(r.status).toBe(201);
    expect(r.headers).toContainEqual(['x-fn', 'yes']);
    expect(r.body.toString()).toBe('hello');
    expect(r.truncated).toEqual({ stdout: false, stderr: false });
  });

  it.each([
    ['named handler', `export async function handler(req: Request) { return new Response(req.method); }`],
    ['named main', `export const main = (req: Request) => new Response(req.method);`],
    ['default object with fetch', `export default { fetch: (req: Request) => new Response(req.method) };`],
    ['Deno.serve', `Deno.serve((req) => new Response(req.method));`],
  ])('supports the %s form', async (_name, code) => {
    const r = await runtime.invoke(input(code, { request: { method: 'PUT', url: 'http://x/', headers: {} } }));
    expect(r.body.toString()).toBe('PUT');
  });

  it('passes method, url, headers and binary body to the handler; console output stays separate', async () => {
    const code = `export default async (req: Request) => {
      console.log('log line'); console.error('err line');
      const body = new Uint8Array(await req.arrayBuffer());
      return Response.json({ method: req.method, url: req.url, h: req.headers.get('x-custom'), body: [...body] });
    };`;
    const r = await runtime.invoke(input(code, {
      request: { method: 'POST', url: 'http://localhost/functions/v1/fn/sub?q=1', headers: { 'x-custom': 'abc' }, body: new Uint8Array([0, 10, 255]) },
    }));
    expect(JSON.parse(r.body.toString())).toEqual({ method: 'POST', url: 'http://localhost/functions/v1/fn/sub?q=1', h: 'abc', body: [0, 10, 255] });
    expect(r.stdout).toBe('log line\n');
    expect(r.stderr).toBe('err line\n');
  });

  it('streams a Readable body to the handler; a body that fails midway stops the process', async () => {
    const code = `export default async (req: Request) => {
      let n = 0;
      for await (const c of req.body!) n += c.length;
      return { n };
    };`;
    const request = (body: Readable) => ({ method: 'POST', url: 'http://x/', headers: {}, body });
    const r = await runtime.invoke(input(code, { request: request(Readable.from([Buffer.alloc(3), Buffer.alloc(70_000), Buffer.alloc(7)])) }));
    expect(JSON.parse(r.body.toString())).toEqual({ n: 70_010 });
    // On stdin a cut body would look complete, so the function never sees it end.
    const broken = new PassThrough();
    broken.write(Buffer.alloc(4));
    setTimeout(() => broken.destroy(new Error('client gone')), 50);
    const e = await failure(runtime.invoke(input(code, { request: request(broken) })));
    expect(e).toMatchObject({ code: 'FUNCTION_ERROR', reason: 'exit', message: 'the request body failed midway (client gone), so the function was stopped' });
  });

  it('answers a plain JSON value with 200 application/json', async () => {
    const r = await runtime.invoke(input(`export default () => ({ ok: true });`));
    expect(r.status).toBe(200);
    expect(r.headers).toContainEqual(['content-type', 'application/json']);
    expect(JSON.parse(r.body.toString())).toEqual({ ok: true });
  });
});

describe('failures', () => {
  it('a throwing handler is FUNCTION_ERROR with the message and logs', async () => {
    const e = await failure(runtime.invoke(input(`export default () => { console.log('before'); throw new TypeError('boom'); };`)));
    expect(e).toMatchObject({ code: 'FUNCTION_ERROR', reason: 'exception', message: 'TypeError: boom' });
    expect(e.logs.stdout).toBe('before\n');
  });

  it('a module without a handler is invalid_response', async () => {
    const e = await failure(runtime.invoke(input(`export const x = 1;`)));
    expect(e).toMatchObject({ code: 'FUNCTION_ERROR', reason: 'invalid_response' });
  });

  it('Deno.exit before responding is reason exit', async () => {
    const e = await failure(runtime.invoke(input(`export default () => Deno.exit(3);`)));
    expect(e).toMatchObject({ code: 'FUNCTION_ERROR', reason: 'exit', exitCode: 3 });
  });

  it.each([
    ['busy loop', `export default () => { console.log(Deno.pid); while (true) {} };`],
    ['pending timer', `export default () => { console.log(Deno.pid); return new Promise(() => setInterval(() => {}, 1000)); };`],
    ['a promise that never settles', `export default () => { console.log(Deno.pid); return new Promise(() => {}); };`],
    ['a promise that never settles, with a streamed body', `export default () => { console.log(Deno.pid); return new Promise(() => {}); };`, true],
  ])('never returning (%s) is FUNCTION_TIMEOUT and the process group is gone', async (_name, code, streamed = false) => {
    const started = Date.now();
    const request = { method: 'POST', url: 'http://x/', headers: {}, body: streamed ? Readable.from([Buffer.from('x')]) : new Uint8Array([1]) };
    const e = await failure(runtime.invoke(input(code, { request, limits: { memoryMb: 128, timeoutMs: 1000, maxOutputBytes: MiB } })));
    expect(e).toMatchObject({ code: 'FUNCTION_TIMEOUT', reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(5000);
    const pid = Number(e.logs.stdout.trim());
    expect(pid).toBeGreaterThan(1);
    expect(groupAlive(pid)).toBe(false);
  });

  it('an allocation loop under a 64 MB limit is out_of_memory', async () => {
    const code = `export default () => { const a: number[][] = []; while (true) a.push(new Array(1e6).fill(1)); };`;
    const e = await failure(runtime.invoke(input(code, { limits: { memoryMb: 64, timeoutMs: 20_000, maxOutputBytes: MiB } })));
    expect(e).toMatchObject({ code: 'FUNCTION_ERROR', reason: 'out_of_memory' });
  });

  it('a bogus Deno binary is spawn_failed', async () => {
    const bogus = new DenoRuntime({ tmpRoot, denoPath: '/nonexistent/deno' });
    const e = await failure(bogus.invoke(input(`export default () => new Response('x');`)));
    expect(e).toMatchObject({ code: 'FUNCTION_ERROR', reason: 'spawn_failed' });
    expect(readdirSync(tmpRoot)).toEqual([]);
  });
});

describe('output caps', () => {
  it('printing 50 MB keeps the first max_output_size bytes, a truncation line, and the result', async () => {
    const code = `export default async () => {
      const chunk = new TextEncoder().encode('x'.repeat(1024 * 1024));
      for (let i = 0; i < 50; i++) await Deno.stdout.write(chunk);
      return new Response('done');
    };`;
    const r = await runtime.invoke(input(code, { limits: { memoryMb: 128, timeoutMs: 30_000, maxOutputBytes: 10 * MiB } }));
    expect(r.body.toString()).toBe('done');
    expect(r.truncated).toEqual({ stdout: true, stderr: false });
    expect(r.stdout.startsWith('x'.repeat(1000))).toBe(true);
    expect(r.stdout.endsWith(`\n[OUTPUT TRUNCATED: ${40 * MiB} bytes dropped]\n`)).toBe(true);
    expect(r.stdout.length).toBeLessThan(10 * MiB + 100);
  }, 30_000);
});

describe('sandbox', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('from local'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reading a file without read permission surfaces Deno\'s permission error', async () => {
    const e = await failure(runtime.invoke(input(`export default async () => new Response(await Deno.readTextFile('/etc/hostname'));`)));
    expect(e).toMatchObject({ code: 'FUNCTION_ERROR', reason: 'exception' });
    expect(e.message).toMatch(/NotCapable: Requires read access to "\/etc\/hostname"/);
  });

  it('writing a file is denied, including the runtime\'s own response file', async () => {
    const e = await failure(runtime.invoke(input(`export default async () => { await Deno.writeTextFile('./response', 'forged'); };`)));
    expect(e.message).toMatch(/NotCapable: Requires write access/);
  });

  it('only allow-listed env names are readable; the server environment is not passed', async () => {
    const code = `export default () => Response.json({ visible: Deno.env.get('VISIBLE'), home: Deno.env.get('HOME') ?? null });`;
    const ok = await runtime.invoke(input(code, { env: { VISIBLE: 'v', SECRET: 's' }, permissions: { net: false, env: ['VISIBLE', 'HOME'], read: false, write: false } }));
    expect(JSON.parse(ok.body.toString())).toEqual({ visible: 'v', home: null });
    const e = await failure(runtime.invoke(input(`export default () => new Response(Deno.env.get('SECRET'));`, { env: { VISIBLE: 'v', SECRET: 's' }, permissions: { net: false, env: ['VISIBLE'], read: false, write: false } })));
    expect(e.message).toMatch(/NotCapable: Requires env access to "SECRET"/);
  });

  it('network follows the host allow-list', async () => {
    const code = `export default async () => new Response(await (await fetch('http://127.0.0.1:${'${PORT}'}/')).text());`;
    const allowed = await runtime.invoke(input(code.replace('${PORT}', String(port)), { permissions: { net: [`127.0.0.1:${port}`], env: [], read: false, write: false } }));
    expect(allowed.body.toString()).toBe('from local');
    const e = await failure(runtime.invoke(input(code.replace('${PORT}', String(port)), { permissions: { net: ['example.com'], env: [], read: false, write: false } })));
    expect(e.message).toMatch(/NotCapable: Requires net access to "127\.0\.0\.1:\d+"/);
    const none = await failure(runtime.invoke(input(code.replace('${PORT}', String(port)))));
    expect(none.message).toMatch(/NotCapable: Requires net access/);
  });
});

describe('the code cache (codeDir)', () => {
  it('writes each module version and its bootstrap once, runs from them, and prunes only unused files', async () => {
    const codeDir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-fnrt-code-'));
    const cached = new DenoRuntime({ tmpRoot, codeDir });
    const code = 'let n = 0; export default () => ({ n: ++n });\n';
    for (let i = 0; i < 3; i++) expect(JSON.parse((await cached.invoke(input(code))).body.toString())).toEqual({ n: 1 });
    expect(readdirSync(codeDir).sort()).toHaveLength(3); // the prelude, the module and the bootstrap
    const other = await cached.invoke(input('export default () => "other";\n', { permissions: { net: false, env: [], read: false, write: true } }));
    expect(JSON.parse(other.body.toString())).toBe('other');
    expect(readdirSync(codeDir)).toHaveLength(6);
    const stale = path.join(codeDir, 'stale.ts');
    writeFileSync(stale, '');
    const old = new Date(Date.now() - 8 * 24 * 3600_000);
    utimesSync(stale, old, old);
    expect(await pruneCodeDir(codeDir, 7 * 24 * 3600_000)).toBe(1);
    expect(readdirSync(codeDir)).toHaveLength(6);
    // Nothing per invocation is left behind.
    expect(readdirSync(tmpRoot).filter((n) => n.startsWith('fluxbase-fn-'))).toEqual([]);
    rmSync(codeDir, { recursive: true, force: true });
  });
});

describe('resource release (hardening 1.6)', () => {
  it('~200 invocations mixing success, throw, timeout kill and spawn failure leave FDs and temp dirs flat', async () => {
    const bogus = new DenoRuntime({ tmpRoot, denoPath: '/nonexistent/deno' });
    const fdCount = () => readdirSync('/proc/self/fd').length;
    const kinds = [
      () => runtime.invoke(input(`export default () => new Response('ok');`)),
      () => runtime.invoke(input(`export default () => { console.log('x'); throw new Error('no'); };`)),
      () => runtime.invoke(input(`export default () => { while (true) {} };`, { limits: { memoryMb: 64, timeoutMs: 300, maxOutputBytes: 1024 } })),
      () => runtime.invoke(input(`export default () => { for (let i = 0; i < 100; i++) console.log('y'.repeat(100)); return 1; };`, { limits: { memoryMb: 64, timeoutMs: 10_000, maxOutputBytes: 1024 } })),
      () => bogus.invoke(input(`export default () => 1;`)),
    ];
    await Promise.allSettled(kinds.map((k) => k())); // warm up lazily created handles
    const before = fdCount();
    const outcomes = new Map<string, number>();
    const total = 200;
    let next = 0;
    const worker = async () => {
      while (next < total) {
        const kind = kinds[next++ % kinds.length]!;
        const key = await kind().then(() => 'ok', (e: FunctionRuntimeError) => e.reason);
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(Object.fromEntries(outcomes)).toEqual({ ok: 80, exception: 40, timeout: 40, spawn_failed: 40 });
    expect(fdCount()).toBeLessThanOrEqual(before);
    expect(readdirSync(tmpRoot)).toEqual([]);
  }, 120_000);
});
