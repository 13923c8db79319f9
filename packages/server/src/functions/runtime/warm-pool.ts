// WarmPool: a FunctionRuntime that keeps long-lived Deno workers per function version so
// repeated invocations skip process start and module load.
//
// Design. One long-lived Deno process per warm worker (own process group, private temp
// dir), serving ONE request at a time. Requests and responses travel over a Unix domain
// socket in that temp dir, never stdin: the bootstrap connects once at start with
// net/read/write grants scoped to the socket path, revokes them with
// Deno.permissions.revoke before importing the user module (so the function keeps no
// extra permission), and the pool's listener accepts that one connection and stops
// listening. The user module is imported once per worker, on its first request after that
// request's env is applied (module-level Deno.env reads behave as in a cold run): module state (globals, caches,
// counters) persists across the requests served by the same worker, as on Supabase Edge
// Functions / Deno Deploy; requests never share a worker concurrently. The process starts
// with only DENO_DIR, NO_COLOR and DENO_NO_UPDATE_CHECK; before each request the
// bootstrap sets every `--allow-env` name from the request's env and deletes those the
// request does not carry, so one request never sees another's variables (only names the
// permissions allow are sent at all). Captured stdout/stderr of a request are the bytes
// that arrive while it is in flight, up to the bootstrap's end marker; output between
// requests is dropped.
//
// Reuse. The pool key is the caller's key (e.g. `<function id>@<version>`) plus a hash of
// the code, permissions, limits and env variable names, so a changed permission or limit
// never reuses a worker. Limits hold per request exactly as in DenoRuntime (timeout kills
// the group; OOM, exit and crash replace the worker); a handler throw keeps the worker.
// A worker is recycled when idle for idleTimeoutMs, after maxRequestsPerWorker requests,
// when its RSS after a request exceeds memoryMb × 1.5 (or maxRssMb, whichever is lower),
// or when evicted. When a key already has maxWorkersPerKey workers (or the pool has
// maxWorkersTotal and none idle elsewhere to reclaim) a request waits up to queueTimeoutMs
// for a free worker and then runs on the cold runtime (same limits; never an error), so
// overload degrades to one-process-per-request instead of failing.
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { resolveDenoBinary } from './deno-binary.ts';
import { DenoRuntime } from './deno-runtime.ts';
import { type FunctionLimits, type FunctionRuntime, FunctionRuntimeError, type InvokeInput, type InvokeResult } from './types.ts';
import { type RecycleReason, WarmWorker } from './warm-worker.ts';

export type { RecycleReason } from './warm-worker.ts';

export interface WarmPoolEvent {
  type: 'start' | 'recycle';
  /** The caller's key (without the permission hash). */
  key: string;
  /** Set on `recycle`. */
  reason?: RecycleReason;
}

/** Requests between two reads of a worker's resident memory. */
const RSS_CHECK_EVERY = 16;

export interface WarmPoolOptions {
  /** Runtime for calls without a key and for queue overflow; default new DenoRuntime({ denoPath, tmpRoot, denoDir }). */
  cold?: FunctionRuntime;
  /** Deno executable; default: the `deno` npm package's binary (resolved lazily). */
  denoPath?: string;
  /** Parent of the per-worker temp dirs (module, bootstrap, socket); default os.tmpdir(). Keep it short: the socket path must fit in 100 bytes. */
  tmpRoot?: string;
  /** Shared DENO_DIR; default: inside each worker's temp dir. */
  denoDir?: string;
  /** A module completing the handler context (handler-source.ts), for warm and cold runs, loaded only by code that mentions `fluxbase`; default none. */
  contextModule?: string | undefined;
  /** The cold runtime's code cache (DenoRuntimeOptions.codeDir); default none. */
  codeDir?: string | undefined;
  /** Workers per pool key; default 2. */
  maxWorkersPerKey?: number;
  /** Workers in the whole pool (an idle worker of another key is reclaimed to make room); default 32. */
  maxWorkersTotal?: number;
  /** An idle worker is stopped after this long; default 60_000 ms. */
  idleTimeoutMs?: number;
  /** A worker is recycled after serving this many requests; default 1000. */
  maxRequestsPerWorker?: number;
  /** Recycle after a request when RSS exceeds this (MB); default none (memoryMb × 1.5 always applies). */
  maxRssMb?: number;
  /** How long a request waits for a free worker before running cold; default 10_000 ms. */
  queueTimeoutMs?: number;
  /** Clock for idle accounting; default Date.now. */
  now?: () => number;
  /** Metrics hook: a worker started or left the pool. */
  onEvent?: (e: WarmPoolEvent) => void;
}

/** `key` selects the warm path; without it the call runs on the cold runtime. */
export type WarmInvokeInput = InvokeInput & { key?: string };

export interface WarmPoolStats {
  workers: number;
  busy: number;
  /** Live workers per caller key. */
  byKey: Record<string, number>;
}

export class WarmPool implements FunctionRuntime {
  private readonly cold: FunctionRuntime;
  private denoPath: string | undefined;
  private readonly tmpRoot: string;
  private readonly maxPerKey: number;
  private readonly maxTotal: number;
  private readonly idleTimeoutMs: number;
  private readonly maxRequests: number;
  private readonly queueTimeoutMs: number;
  private readonly now: () => number;
  /** Reusable workers (idle or busy) by pool key. */
  private readonly byKey = new Map<string, WarmWorker[]>();
  /** Every worker whose process and files are not yet released, including those being stopped. */
  private readonly all = new Set<WarmWorker>();
  private readonly stopping = new Map<WarmWorker, Promise<void>>();
  private waiters: (() => void)[] = [];
  private sweeper: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: WarmPoolOptions = {}) {
    this.denoPath = options.denoPath;
    this.tmpRoot = options.tmpRoot ?? tmpdir();
    this.cold = options.cold ?? new DenoRuntime({ denoPath: options.denoPath, tmpRoot: options.tmpRoot, denoDir: options.denoDir, contextModule: options.contextModule, codeDir: options.codeDir });
    this.maxPerKey = Math.max(1, options.maxWorkersPerKey ?? 2);
    this.maxTotal = Math.max(1, options.maxWorkersTotal ?? 32);
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.maxRequests = Math.max(1, options.maxRequestsPerWorker ?? 1000);
    this.queueTimeoutMs = options.queueTimeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async invoke(input: WarmInvokeInput): Promise<InvokeResult & { warm: boolean }> {
    const { key, ...plain } = input;
    if (key === undefined) return { ...(await this.cold.invoke(plain)), warm: false };
    if (this.closed) throw closedError();
    this.sweep();
    let denoPath: string;
    try {
      denoPath = this.denoPath ??= resolveDenoBinary();
    } catch (err) {
      throw new FunctionRuntimeError('FUNCTION_ERROR', 'spawn_failed', (err as Error).message, NO_LOGS, 0);
    }
    const poolKey = poolKeyFor(key, plain);
    const got = await this.acquire(key, poolKey, plain, denoPath);
    if (got === null) return { ...(await this.cold.invoke(plain)), warm: false };
    let result: InvokeResult;
    try {
      result = await got.worker.run(plain);
    } catch (err) {
      await this.afterRequest(got.worker, plain.limits);
      throw err;
    }
    // A streamed response keeps its worker busy until the stream ends.
    if (result.done) void result.done.finally(() => this.afterRequest(got.worker, plain.limits));
    // Otherwise the worker's fate (idle or recycled) is settled before answering, so a sequential next call finds it idle; stopping runs in the background.
    else await this.afterRequest(got.worker, plain.limits);
    return { ...result, warm: got.warm };
  }

  /** Stops every worker whose pool key starts with `keyPrefix`; a busy one finishes its request first and is never reused. Resolves once the idle ones are released. */
  async evict(keyPrefix: string): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const w of this.all) {
      if (!w.poolKey.startsWith(keyPrefix) || this.stopping.has(w)) continue;
      if (w.state === 'busy') {
        w.retireReason = 'evicted';
        this.unlist(w);
      } else {
        stops.push(this.stopWorker(w, 'evicted'));
      }
    }
    await Promise.all(stops);
  }

  /** Stops workers idle for idleTimeoutMs; also runs on a timer and before each keyed invoke. */
  sweep(): void {
    const now = this.now();
    for (const list of [...this.byKey.values()]) {
      for (const w of [...list]) if (w.state === 'idle' && now - w.lastUsed >= this.idleTimeoutMs) void this.stopWorker(w, 'idle');
    }
  }

  stats(): WarmPoolStats {
    const byKey: Record<string, number> = {};
    let workers = 0;
    let busy = 0;
    for (const w of this.all) {
      if (this.stopping.has(w)) continue;
      workers += 1;
      if (w.state === 'busy') busy += 1;
      byKey[w.key] = (byKey[w.key] ?? 0) + 1;
    }
    return { workers, busy, byKey };
  }

  /** Kills every worker (in-flight requests fail) and removes their temp dirs; later keyed calls throw. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    this.wake();
    await Promise.all([...this.all].map((w) => this.stopWorker(w, 'closed')));
  }

  private async acquire(key: string, poolKey: string, input: InvokeInput, denoPath: string): Promise<{ worker: WarmWorker; warm: boolean } | null> {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      this.wake();
    }, this.queueTimeoutMs);
    try {
      for (;;) {
        if (this.closed) throw closedError();
        const list = this.byKey.get(poolKey) ?? [];
        // Most recently used first: keeps one worker hot and lets the others go idle.
        const idle = list.filter((w) => w.state === 'idle').sort((a, b) => b.lastUsed - a.lastUsed);
        for (const w of idle) {
          if (w.alive) {
            w.state = 'busy';
            return { worker: w, warm: true };
          }
          void this.stopWorker(w, 'crashed');
        }
        if (this.byKeyCount(poolKey) < this.maxPerKey) {
          if (this.all.size < this.maxTotal) return { worker: this.startWorker(key, poolKey, input, denoPath), warm: false };
          this.reclaimIdle();
        }
        if (expired) return null;
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private byKeyCount(poolKey: string): number {
    return this.byKey.get(poolKey)?.length ?? 0;
  }

  private startWorker(key: string, poolKey: string, input: InvokeInput, denoPath: string): WarmWorker {
    const w = new WarmWorker(key, poolKey, {
      code: input.code, permissions: input.permissions, limits: input.limits, denoPath, tmpRoot: this.tmpRoot, denoDir: this.options.denoDir,
      contextModule: input.code.includes('fluxbase') ? this.options.contextModule : undefined,
    }, this.now());
    w.onIdleExit = () => void this.stopWorker(w, 'crashed');
    const list = this.byKey.get(poolKey) ?? [];
    list.push(w);
    this.byKey.set(poolKey, list);
    this.all.add(w);
    this.ensureSweeper();
    this.options.onEvent?.({ type: 'start', key });
    return w;
  }

  private async afterRequest(w: WarmWorker, limits: FunctionLimits): Promise<void> {
    w.lastUsed = this.now();
    const recycle = (reason: RecycleReason) => void this.stopWorker(w, reason);
    if (this.stopping.has(w)) return;
    if (w.retireReason !== null) return recycle(w.retireReason);
    if (!w.alive) return recycle('crashed');
    if (w.requests >= this.maxRequests) return recycle('max_requests');
    // /proc is read after a worker's first request and then every RSS_CHECK_EVERY (bench/README.md "Functions").
    const rss = w.requests === 1 || w.requests % RSS_CHECK_EVERY === 0 ? await w.rssMb() : null;
    const limit = Math.min(limits.memoryMb * 1.5, this.options.maxRssMb ?? Infinity);
    if (this.stopping.has(w)) return;
    if (rss !== null && rss > limit) return recycle('memory');
    if (w.retireReason !== null) return recycle(w.retireReason);
    if (!w.alive) return recycle('crashed');
    w.state = 'idle';
    this.wake();
  }

  private stopWorker(w: WarmWorker, reason: RecycleReason): Promise<void> {
    const pending = this.stopping.get(w);
    if (pending !== undefined) return pending;
    this.unlist(w);
    this.options.onEvent?.({ type: 'recycle', key: w.key, reason });
    const p = w.stop().finally(() => {
      this.all.delete(w);
      this.stopping.delete(w);
      this.wake();
    });
    this.stopping.set(w, p);
    return p;
  }

  /** Removes a worker from reuse (it keeps counting toward maxWorkersTotal until released). */
  private unlist(w: WarmWorker): void {
    const list = this.byKey.get(w.poolKey);
    if (list === undefined) return;
    const i = list.indexOf(w);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(w.poolKey);
  }

  /** Makes room under maxWorkersTotal by stopping the least recently used idle worker. */
  private reclaimIdle(): void {
    let lru: WarmWorker | undefined;
    for (const list of this.byKey.values()) for (const w of list) if (w.state === 'idle' && (lru === undefined || w.lastUsed < lru.lastUsed)) lru = w;
    if (lru !== undefined) void this.stopWorker(lru, 'idle');
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private ensureSweeper(): void {
    if (this.sweeper !== null) return;
    this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(this.idleTimeoutMs / 2, 50), 30_000));
    this.sweeper.unref();
  }
}

const NO_LOGS = { stdout: '', stderr: '', truncated: { stdout: false, stderr: false } };

function closedError(): FunctionRuntimeError {
  return new FunctionRuntimeError('FUNCTION_ERROR', 'spawn_failed', 'the warm pool is closed', NO_LOGS, 0);
}

/** Caller key + hash of what a worker is built from; workers are reused only on an exact match. */
/** The last code hashed per caller key: a service passes the same string each time, so the check is a pointer comparison. */
const codeHashes = new Map<string, { code: string; hash: string }>();

function codeHash(key: string, code: string): string {
  const hit = codeHashes.get(key);
  if (hit && hit.code === code) return hit.hash;
  const hash = createHash('sha256').update(code).digest('hex');
  if (codeHashes.size > 10_000) codeHashes.clear();
  codeHashes.set(key, { code, hash });
  return hash;
}

export function poolKeyFor(key: string, input: InvokeInput): string {
  const p = input.permissions;
  const material = JSON.stringify({
    code: codeHash(key, input.code),
    net: Array.isArray(p.net) ? [...p.net].sort() : p.net,
    env: [...p.env].sort(),
    read: p.read,
    write: p.write,
    limits: [input.limits.memoryMb, input.limits.timeoutMs, input.limits.maxOutputBytes],
    envNames: Object.keys(input.env).sort(),
  });
  return `${key}#${createHash('sha256').update(material).digest('hex').slice(0, 16)}`;
}
