// The warm worker pool against the real `deno` binary: reuse and module state, per-request
// environment, keys, eviction and recycling, limits (timeout, OOM, exit, throw), queueing,
// and release of every process, socket, pipe and temp dir (hardening 1.6). No database.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FunctionRuntimeError, type InvokeInput } from '../src/functions/runtime/types.ts';
import { failure, invokeInput, MiB } from './harness/functions.ts';
import { WarmPool, type WarmPoolEvent, type WarmPoolOptions } from '../src/functions/runtime/warm-pool.ts';

let tmpRoot: string;
const pools: WarmPool[] = [];

beforeAll(() => {
  tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'fbw-'));
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  expect(readdirSync(tmpRoot)).toEqual([]);
});
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

function pool(options: Partial<WarmPoolOptions> = {}): { pool: WarmPool; events: WarmPoolEvent[] } {
  const events: WarmPoolEvent[] = [];
  const p = new WarmPool({ tmpRoot, onEvent: (e) => events.push(e), ...options });
  pools.push(p);
  return { pool: p, events };
}

function input(code: string, over: Partial<InvokeInput> & { key?: string; query?: string } = {}): InvokeInput & { key?: string } {
  const { query, ...rest } = over;
  return invokeInput(code, { url: `http://localhost/functions/v1/fn${query ?? ''}`, maxOutputBytes: MiB }, rest);
}

/** Pids of processes whose command line mentions `dir` (every warm worker runs `<dir>/…/bootstrap.ts`). */
function processesUnder(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) found.push(Number(entry));
    } catch {
      // the process ended while scanning
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A module-level counter; `?throw`, `?exit` and `?loop` select failure paths. */
const COUNTER = `let n = 0;
export default (req: Request) => {
  const q = new URL(req.url).searchParams;
  n++;
  console.log('pid', Deno.pid);
  if (q.has('throw')) throw new Error('thrown on ' + n);
  if (q.has('exit')) Deno.exit(3);
  if (q.has('loop')) while (true) {}
  return Response.json({ n, pid: Deno.pid });
};`;

async function count(p: WarmPool, over: Partial<InvokeInput> & { key?: string; query?: string } = {}): Promise<{ n: number; pid: number; warm: boolean }> {
  const r = await p.invoke(input(COUNTER, { key: 'counter@1', ...over }));
  return { ...(JSON.parse(r.body.toString()) as { n: number; pid: number }), warm: r.warm ?? false };
}

describe('reuse', () => {
  it('keeps one worker and its module state across requests; warm is false then true', async () => {
    const { pool: p, events } = pool();
    expect([await count(p), await count(p), await count(p)].map(({ n, warm }) => ({ n, warm }))).toEqual([
      { n: 1, warm: false }, { n: 2, warm: true }, { n: 3, warm: true },
    ]);
    expect(events).toEqual([{ type: 'start', key: 'counter@1' }]);
    expect(p.stats()).toEqual({ workers: 1, busy: 0, byKey: { 'counter@1': 1 } });
  });

  it('without a key the call runs cold every time', async () => {
    const { pool: p, events } = pool();
    const a = await p.invoke(input(COUNTER));
    const b = await p.invoke(input(COUNTER));
    expect([JSON.parse(a.body.toString()).n, a.warm, JSON.parse(b.body.toString()).n, b.warm]).toEqual([1, false, 1, false]);
    expect(events).toEqual([]);
  });

  it('different permissions, limits or env names never share a worker', async () => {
    const { pool: p } = pool();
    const first = await count(p);
    const net = await count(p, { permissions: { net: ['example.com'], env: [], read: false, write: false } });
    const limits = await count(p, { limits: { memoryMb: 96, timeoutMs: 10_000, maxOutputBytes: MiB } });
    const envNames = await count(p, { env: { A: '1' } });
    expect([net, limits, envNames].map((r) => [r.n, r.warm])).toEqual([[1, false], [1, false], [1, false]]);
    expect(new Set([first.pid, net.pid, limits.pid, envNames.pid]).size).toBe(4);
    expect(await count(p)).toMatchObject({ n: 2, warm: true, pid: first.pid });
    expect(p.stats().byKey).toEqual({ 'counter@1': 4 });
  });

  it.each([
    ['export default function', `export default function (req: Request) { return new Response(req.method); }`],
    ['named handler', `export async function handler(req: Request) { return new Response(req.method); }`],
    ['named main', `export const main = (req: Request) => new Response(req.method);`],
    ['default object with fetch', `export default { fetch: (req: Request) => new Response(req.method) };`],
    ['Deno.serve', `Deno.serve((req) => new Response(req.method));`],
  ])('supports the %s form on every request', async (_name, code) => {
    const { pool: p } = pool();
    for (const warm of [false, true]) {
      const r = await p.invoke(input(code, { key: 'forms@1', request: { method: 'PUT', url: 'http://x/', headers: {} } }));
      expect([r.body.toString(), r.warm]).toEqual(['PUT', warm]);
    }
  });

  it('passes the request, answers JSON values with 200, and captures each request\'s own output', async () => {
    const { pool: p } = pool();
    const code = `let n = 0;
      console.log('module loaded');
      export default async (req: Request, ctx: { tag?: string }) => {
        n++;
        console.log('request', n); console.error('err', n);
        const body = new Uint8Array(await req.arrayBuffer());
        return { n, method: req.method, url: req.url, h: req.headers.get('x-custom'), body: [...body], tag: ctx.tag ?? null };
      };`;
    const call = (n: number) => p.invoke(input(code, {
      key: 'echo@1', context: { tag: `t${n}` },
      request: { method: 'POST', url: `http://localhost/functions/v1/fn/sub?q=${n}`, headers: { 'x-custom': 'abc' }, body: new Uint8Array([0, 10, 255, n]) },
    }));
    const a = await call(1);
    const b = await call(2);
    expect(a.status).toBe(200);
    expect(a.headers).toContainEqual(['content-type', 'application/json']);
    expect(JSON.parse(b.body.toString())).toEqual({ n: 2, method: 'POST', url: 'http://localhost/functions/v1/fn/sub?q=2', h: 'abc', body: [0, 10, 255, 2], tag: 't2' });
    expect([a.stdout, a.stderr, b.stdout, b.stderr]).toEqual(['module loaded\nrequest 1\n', 'err 1\n', 'request 2\n', 'err 2\n']);
  });

  it('streams a Readable body to the handler; a body that fails midway fails the handler\'s read and keeps the worker', async () => {
    const { pool: p, events } = pool();
    const code = `let n = 0;
      export default async (req: Request) => {
        n++;
        const chunks: number[] = [];
        try {
          for await (const c of req.body!) chunks.push(c.length);
        } catch (e) {
          return { n, failed: (e as Error).message };
        }
        return { n, chunks };
      };`;
    const call = (body: Readable) => p.invoke(input(code, { key: 'body@1', request: { method: 'POST', url: 'http://localhost/functions/v1/fn', headers: {}, body } }));
    const ok = await call(Readable.from([Buffer.alloc(3), Buffer.alloc(5), Buffer.alloc(7)]));
    expect(JSON.parse(ok.body.toString())).toEqual({ n: 1, chunks: [3, 5, 7] });
    const broken = new PassThrough();
    broken.write(Buffer.alloc(4));
    setTimeout(() => broken.destroy(new Error('client gone')), 50);
    const failed = await call(broken);
    expect(JSON.parse(failed.body.toString())).toEqual({ n: 2, failed: 'the request body failed: client gone' });
    // An unread body: the function answers at once; the rest is drained and the worker serves on.
    const endless = new PassThrough();
    endless.write(Buffer.alloc(10));
    const unread = await p.invoke(input('export default () => "early";', { key: 'unread@1', request: { method: 'POST', url: 'http://localhost/functions/v1/fn', headers: {}, body: endless } }));
    expect(unread.body.toString()).toBe('"early"');
    expect(JSON.parse((await call(Readable.from([Buffer.alloc(1)]))).body.toString())).toEqual({ n: 3, chunks: [1] });
    expect(events.filter((x) => x.type === 'recycle')).toEqual([]);
    endless.destroy();
  });

  it('caps captured output per request with the truncation line', async () => {
    const { pool: p } = pool();
    const code = `export default () => { for (let i = 0; i < 20; i++) console.log('y'.repeat(99)); return 'done'; };`;
    for (let i = 0; i < 2; i++) {
      const r = await p.invoke(input(code, { key: 'loud@1', limits: { memoryMb: 128, timeoutMs: 10_000, maxOutputBytes: 1000 } }));
      expect(r.truncated).toEqual({ stdout: true, stderr: false });
      expect(r.stdout).toBe(`${'y'.repeat(99)}\n`.repeat(10) + '[OUTPUT TRUNCATED: 1000 bytes dropped]\n');
    }
  });
});

describe('per-request environment', () => {
  it('sets each request\'s variables and removes what an earlier request or the code left behind', async () => {
    const { pool: p } = pool();
    const code = `const atLoad = Deno.env.get('FLUXBASE_USER_TOKEN') ?? null;
    export default () => {
      const seen = { atLoad, token: Deno.env.get('FLUXBASE_USER_TOKEN') ?? null, scratch: Deno.env.get('SCRATCH') ?? null };
      Deno.env.set('SCRATCH', 'left by ' + seen.token);
      Deno.env.set('FLUXBASE_USER_TOKEN', 'overwritten');
      return seen;
    };`;
    const permissions = { net: false, env: ['FLUXBASE_USER_TOKEN', 'SCRATCH'], read: false, write: false };
    const call = async (env: Record<string, string>) => {
      const r = await p.invoke(input(code, { key: 'env@1', env, permissions }));
      return { ...JSON.parse(r.body.toString()), warm: r.warm };
    };
    // Module-level code runs once, on the worker's first request, with that request's env (as a cold run would).
    expect(await call({ FLUXBASE_USER_TOKEN: 'user-1' })).toEqual({ atLoad: 'user-1', token: 'user-1', scratch: null, warm: false });
    expect(await call({ FLUXBASE_USER_TOKEN: 'user-2' })).toEqual({ atLoad: 'user-1', token: 'user-2', scratch: null, warm: true });
    expect(await call({ FLUXBASE_USER_TOKEN: 'user-3', SCRATCH: 's' })).toEqual({ atLoad: 'user-3', token: 'user-3', scratch: 's', warm: false });
  });

  it('never passes variables outside the permission list to the worker', async () => {
    const { pool: p } = pool();
    const code = `export default () => new Response(Deno.env.get('SECRET'));`;
    const e = await failure(p.invoke(input(code, { key: 'sec@1', env: { VISIBLE: 'v', SECRET: 's' }, permissions: { net: false, env: ['VISIBLE'], read: false, write: false } })));
    expect(e.message).toMatch(/NotCapable: Requires env access to "SECRET"/);
  });
});

describe('sandbox', () => {
  it('the function keeps no grant on its socket and cannot read or write files', async () => {
    const { pool: p } = pool();
    const code = `export default async () => {
      const out: string[] = [];
      for (const name of ['read', 'write'] as const) out.push(name + ':' + (await Deno.permissions.query({ name, path: Deno.cwd() + '/sock' })).state);
      out.push('net:' + (await Deno.permissions.query({ name: 'net', host: 'unix:' + Deno.cwd() + '/sock' })).state);
      try { await Deno.readTextFile('/etc/hostname'); out.push('read ok'); } catch (e) { out.push((e as Error).name); }
      return out;
    };`;
    const r = await p.invoke(input(code, { key: 'sandbox@1' }));
    expect(JSON.parse(r.body.toString())).toEqual(['read:prompt', 'write:prompt', 'net:prompt', 'NotCapable']);
  });
});

describe('recycling', () => {
  it('evict stops the workers of a key prefix; the next call starts fresh', async () => {
    const { pool: p, events } = pool();
    await count(p, { key: 'fn-a@1' });
    expect((await count(p, { key: 'fn-a@1' })).n).toBe(2);
    await count(p, { key: 'fn-b@1' });
    await p.evict('fn-a@');
    expect(p.stats().byKey).toEqual({ 'fn-b@1': 1 });
    expect(await count(p, { key: 'fn-a@1' })).toMatchObject({ n: 1, warm: false });
    expect(await count(p, { key: 'fn-b@1' })).toMatchObject({ n: 2, warm: true });
    expect(events.filter((e) => e.type === 'recycle')).toEqual([{ type: 'recycle', key: 'fn-a@1', reason: 'evicted' }]);
  });

  it('recycles after maxRequestsPerWorker requests', async () => {
    const { pool: p, events } = pool({ maxRequestsPerWorker: 2 });
    const ns = [];
    for (let i = 0; i < 5; i++) ns.push((await count(p)).n);
    expect(ns).toEqual([1, 2, 1, 2, 1]);
    expect(events.filter((e) => e.type === 'recycle').map((e) => e.reason)).toEqual(['max_requests', 'max_requests']);
  });

  it('recycles a worker idle for idleTimeoutMs (injected clock)', async () => {
    let t = 1_000_000;
    const { pool: p, events } = pool({ idleTimeoutMs: 60_000, now: () => t });
    await count(p);
    t += 59_999;
    expect(await count(p)).toMatchObject({ n: 2, warm: true });
    t += 60_000;
    expect(await count(p)).toMatchObject({ n: 1, warm: false });
    expect(events.filter((e) => e.type === 'recycle')).toEqual([{ type: 'recycle', key: 'counter@1', reason: 'idle' }]);
  });

  it('the idle sweep also runs on its own timer', async () => {
    const { pool: p, events } = pool({ idleTimeoutMs: 100 });
    await count(p);
    for (let i = 0; i < 50 && p.stats().workers > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(p.stats().workers).toBe(0);
    expect(events.at(-1)).toEqual({ type: 'recycle', key: 'counter@1', reason: 'idle' });
  });

  it('recycles after a request when RSS exceeds maxRssMb', async () => {
    const { pool: p, events } = pool({ maxRssMb: 1 });
    expect((await count(p)).n).toBe(1);
    expect((await count(p)).n).toBe(1);
    expect(events.filter((e) => e.type === 'recycle').map((e) => e.reason)).toEqual(['memory', 'memory']);
  });
});

describe('limits and failures', () => {
  it('a timeout kills the worker\'s process group; the next request gets a new worker', async () => {
    const { pool: p, events } = pool();
    const limits = { memoryMb: 128, timeoutMs: 800, maxOutputBytes: MiB };
    const first = await count(p, { limits });
    const started = Date.now();
    const e = await failure(count(p, { limits, query: '?loop' }));
    expect(e).toMatchObject({ code: 'FUNCTION_TIMEOUT', reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(e.logs.stdout).toBe(`pid ${first.pid}\n`);
    expect(alive(first.pid)).toBe(false);
    expect(await count(p, { limits })).toMatchObject({ n: 1, warm: false });
    expect(events.filter((x) => x.type === 'recycle').map((x) => x.reason)).toEqual(['timeout']);
  });

  it('a handler throw is FUNCTION_ERROR/exception and the worker (and its state) is kept', async () => {
    const { pool: p, events } = pool();
    const first = await count(p);
    const e = await failure(count(p, { query: '?throw' }));
    expect(e).toMatchObject({ code: 'FUNCTION_ERROR', reason: 'exception', message: 'Error: thrown on 2' });
    expect(e.logs.stdout).toBe(`pid ${first.pid}\n`);
    expect(await count(p)).toMatchObject({ n: 3, warm: true, pid: first.pid });
    expect(events.filter((x) => x.type === 'recycle')).toEqual([]);
  });

  it('Deno.exit is FUNCTION_ERROR/exit and the worker is replaced', async () => {
    const { pool: p, events } = pool();
    const first = await count(p);
    const e = await failure(count(p, { query: '?exit' }));
    expect(e).toMatchObject({ code: 'FUNCTION_ERROR', reason: 'exit', exitCode: 3 });
    const next = await count(p);
    expect(next).toMatchObject({ n: 1, warm: false });
    expect(next.pid).not.toBe(first.pid);
    expect(events.filter((x) => x.type === 'recycle').map((x) => x.reason)).toEqual(['crashed']);
  });

  it('an allocation loop under a 64 MB limit is out_of_memory and the worker is replaced', async () => {
    const { pool: p, events } = pool();
    const code = `let n = 0; export default (req: Request) => { n++; if (new URL(req.url).searchParams.has('oom')) { const a: number[][] = []; while (true) a.push(new Array(1e6).fill(1)); } return n; };`;
    const limits = { memoryMb: 64, timeoutMs: 20_000, maxOutputBytes: MiB };
    await p.invoke(input(code, { key: 'oom@1', limits }));
    const e = await failure(p.invoke(input(code, { key: 'oom@1', limits, query: '?oom' })));
    expect(e).toMatchObject({ code: 'FUNCTION_ERROR', reason: 'out_of_memory' });
    const next = await p.invoke(input(code, { key: 'oom@1', limits }));
    expect([next.body.toString(), next.warm]).toEqual(['1', false]);
    expect(events.filter((x) => x.type === 'recycle').map((x) => x.reason)).toEqual(['memory']);
  });

  it('a module without a handler is invalid_response on every call', async () => {
    const { pool: p } = pool();
    for (let i = 0; i < 2; i++) {
      const e = await failure(p.invoke(input(`export const x = 1;`, { key: 'nohandler@1' })));
      expect(e).toMatchObject({ code: 'FUNCTION_ERROR', reason: 'invalid_response' });
    }
  });

  it('a module that throws while loading is an exception on every call', async () => {
    const { pool: p } = pool();
    for (let i = 0; i < 2; i++) {
      const e = await failure(p.invoke(input(`throw new RangeError('bad init'); export default () => 1;`, { key: 'badinit@1' })));
      expect(e).toMatchObject({ code: 'FUNCTION_ERROR', reason: 'exception', message: 'RangeError: bad init' });
    }
  });

  it('an unserializable value is invalid_response and keeps the worker', async () => {
    const { pool: p } = pool();
    const code = `let n = 0; export default () => { n++; if (n === 1) { const a: Record<string, unknown> = {}; a.self = a; return a; } return n; };`;
    const e = await failure(p.invoke(input(code, { key: 'cyclic@1' })));
    expect(e).toMatchObject({ code: 'FUNCTION_ERROR', reason: 'invalid_response' });
    const r = await p.invoke(input(code, { key: 'cyclic@1' }));
    expect([r.body.toString(), r.warm]).toEqual(['2', true]);
  });

  it('a worker that exits while idle is replaced on the next call', async () => {
    const { pool: p, events } = pool();
    const code = `let n = 0; export default () => { n++; setTimeout(() => Deno.exit(0), 20); return n; };`;
    await p.invoke(input(code, { key: 'selfexit@1' }));
    for (let i = 0; i < 50 && p.stats().workers > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(events.at(-1)).toEqual({ type: 'recycle', key: 'selfexit@1', reason: 'crashed' });
    const r = await p.invoke(input(code, { key: 'selfexit@1' }));
    expect([r.body.toString(), r.warm]).toEqual(['1', false]);
  });
});

describe('concurrency', () => {
  const SLOW = `let n = 0; export default async () => { n++; await new Promise((r) => setTimeout(r, 300)); return { n, pid: Deno.pid }; };`;

  it('requests beyond maxWorkersPerKey queue for a worker and all complete', async () => {
    const { pool: p, events } = pool({ maxWorkersPerKey: 2 });
    let peak = 0;
    const watch = setInterval(() => { peak = Math.max(peak, p.stats().byKey['slow@1'] ?? 0); }, 5);
    const results = await Promise.all(Array.from({ length: 6 }, () => p.invoke(input(SLOW, { key: 'slow@1' }))));
    clearInterval(watch);
    const bodies = results.map((r) => JSON.parse(r.body.toString()) as { n: number; pid: number });
    const byPid = new Map<number, number[]>();
    for (const b of bodies) byPid.set(b.pid, [...(byPid.get(b.pid) ?? []), b.n]);
    expect(byPid.size).toBe(2);
    // Each worker served its share one at a time: its counter went 1, 2, … without gaps.
    for (const ns of byPid.values()) expect(ns.sort()).toEqual(ns.map((_, i) => i + 1));
    expect(results.filter((r) => r.warm).length).toBe(4);
    expect(peak).toBe(2);
    expect(events.filter((e) => e.type === 'start')).toHaveLength(2);
  });

  it('a request that waits longer than queueTimeoutMs runs cold', async () => {
    const { pool: p, events } = pool({ maxWorkersPerKey: 1, queueTimeoutMs: 50 });
    const [a, b] = await Promise.all([p.invoke(input(SLOW, { key: 'slow@1' })), p.invoke(input(SLOW, { key: 'slow@1' }))]);
    expect([a.warm, b.warm]).toEqual([false, false]);
    expect(JSON.parse(b.body.toString()).pid).not.toBe(JSON.parse(a.body.toString()).pid);
    expect(events.filter((e) => e.type === 'start')).toHaveLength(1);
  });

  it('maxWorkersTotal reclaims an idle worker of another key', async () => {
    const { pool: p, events } = pool({ maxWorkersTotal: 1 });
    await count(p, { key: 'one@1' });
    expect(await count(p, { key: 'two@1' })).toMatchObject({ n: 1, warm: false });
    expect(p.stats()).toEqual({ workers: 1, busy: 0, byKey: { 'two@1': 1 } });
    expect(events.filter((e) => e.type === 'recycle')).toEqual([{ type: 'recycle', key: 'one@1', reason: 'idle' }]);
  });

  it('close fails queued and later calls and stops busy workers', async () => {
    const { pool: p } = pool({ maxWorkersPerKey: 1 });
    const busy = p.invoke(input(SLOW, { key: 'slow@1' })).catch((e: unknown) => e);
    const queued = p.invoke(input(SLOW, { key: 'slow@1' })).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    await p.close();
    expect(await busy).toBeInstanceOf(FunctionRuntimeError);
    expect(await queued).toMatchObject({ reason: 'spawn_failed', message: 'the warm pool is closed' });
    expect(await failure(p.invoke(input(SLOW, { key: 'slow@1' })))).toMatchObject({ message: 'the warm pool is closed' });
    expect(p.stats().workers).toBe(0);
  });

  it('a bogus Deno binary is spawn_failed, and nothing is left behind', async () => {
    const { pool: p, events } = pool({ denoPath: '/nonexistent/deno' });
    for (let i = 0; i < 2; i++) expect(await failure(p.invoke(input(COUNTER, { key: 'bogus@1' })))).toMatchObject({ code: 'FUNCTION_ERROR', reason: 'spawn_failed' });
    expect(events.map((e) => e.reason ?? e.type)).toEqual(['start', 'crashed', 'start', 'crashed']);
    await new Promise((r) => setTimeout(r, 50));
    expect(p.stats().workers).toBe(0);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  it('evict and close while workers are still starting release everything', async () => {
    const { pool: p } = pool({ maxWorkersPerKey: 4 });
    const calls = Array.from({ length: 4 }, () => p.invoke(input(COUNTER, { key: 'starting@1' })).then((r) => r.warm, (e: FunctionRuntimeError) => e.reason));
    await p.evict('starting@');
    // Evicted while starting: each request is still served, then its worker is stopped.
    expect(await Promise.all(calls)).toEqual([false, false, false, false]);
    expect(await count(p, { key: 'starting@1' })).toMatchObject({ n: 1, warm: false });
    const more = Array.from({ length: 4 }, () => p.invoke(input(COUNTER, { key: 'starting@2' })).then(() => 'ok', (e: FunctionRuntimeError) => e.reason));
    await new Promise((r) => setTimeout(r, 10));
    await p.close();
    const outcomes = await Promise.all(more);
    expect(outcomes.every((o) => o === 'ok' || o === 'exit' || o === 'spawn_failed')).toBe(true);
    expect(p.stats().workers).toBe(0);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });
});

describe('resource release (hardening 1.6)', () => {
  it('~200 mixed invocations then close leave FDs, temp dirs and processes at baseline', async () => {
    const fdCount = () => readdirSync('/proc/self/fd').length;
    const before = fdCount();
    const { pool: p } = pool({ maxWorkersPerKey: 2 });
    const small = { memoryMb: 128, timeoutMs: 10_000, maxOutputBytes: 4096 };
    const kinds: [string, string, InvokeInput['limits']][] = [
      ['ok', `export default () => { console.log(Deno.pid); return new Response('ok'); };`, small],
      ['throw', `export default () => { console.log(Deno.pid); throw new Error('no'); };`, small],
      ['timeout', `export default () => { console.log(Deno.pid); while (true) {} };`, { ...small, timeoutMs: 300 }],
      ['exit', `export default () => { console.log(Deno.pid); Deno.exit(2); };`, small],
      ['oom', `export default () => { console.log(Deno.pid); const a: number[][] = []; while (true) a.push(new Array(1e6).fill(1)); };`, { ...small, memoryMb: 32 }],
    ];
    const pids = new Set<number>();
    const outcomes = new Map<string, number>();
    const total = 200;
    let next = 0;
    const loop = async () => {
      while (next < total) {
        const [name, code, limits] = kinds[next++ % kinds.length]!;
        const outcome = await p.invoke(input(code, { key: `leak-${name}@1`, limits })).then(
          (r) => { pids.add(Number(r.stdout.trim())); return 'ok'; },
          (e: FunctionRuntimeError) => { pids.add(Number(e.logs.stdout.trim())); return e.reason; },
        );
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    };
    await Promise.all([loop(), loop(), loop(), loop()]);
    expect(Object.fromEntries(outcomes)).toEqual({ ok: 40, exception: 40, timeout: 40, exit: 40, out_of_memory: 40 });
    expect(processesUnder(tmpRoot).length).toBeGreaterThan(0); // the scan does see live workers
    await p.close();
    expect(p.stats()).toEqual({ workers: 0, busy: 0, byKey: {} });
    expect(fdCount()).toBeLessThanOrEqual(before);
    expect(readdirSync(tmpRoot)).toEqual([]);
    // A 300 ms timeout can fire before a starting worker printed its pid (stdout ''), so also scan /proc for any process started from tmpRoot.
    pids.delete(0);
    expect(pids.size).toBeGreaterThan(100);
    expect([...pids].filter((pid) => alive(pid))).toEqual([]);
    expect(processesUnder(tmpRoot)).toEqual([]);
  }, 60_000);
});
