// The real `fluxbase serve` in a child process, for tests where the process itself is
// under test (does it stay alive when its database dies?), plus a closed-loop load
// generator and a Prometheus scrape parser for asserting on the server's own gauges.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/fluxbase.js', import.meta.url));

export function cleanEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !k.startsWith('FLUXBASE_') && k !== 'DATABASE_URL' && v !== undefined)) as Record<string, string>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  child: ChildProcess;
  url: string;
  keys: { anon: string; service_role: string };
  output(): string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exit: Promise<number | string | null>;
  alive(): boolean;
  metrics(): Promise<Metrics>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | string | null>;
}

/** Start `fluxbase serve` with these FLUXBASE_* variables and wait until /ready is 200 and the banner is printed. */
export async function spawnServer(env: Record<string, string>, options: { readyTimeoutMs?: number; cwd?: string } = {}): Promise<ChildServer> {
  const port = env.FLUXBASE_SERVER_PORT ?? String(await freePort());
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: {
      ...cleanEnv(), FLUXBASE_SERVER_HOST: '127.0.0.1', FLUXBASE_LOGGING_FORMAT: 'json', FLUXBASE_SERVER_PORT: port,
      // No project migrations unless a test gives a folder (the working directory is shared).
      FLUXBASE_MIGRATIONS_DIR: path.join(os.tmpdir(), `fluxbase-no-migrations-${process.pid}`),
      ...env,
    },
    cwd: options.cwd ?? os.tmpdir(), stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  let keys: ChildServer['keys'] | undefined;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`fluxbase serve exited early:\n${out}`);
    keys ??= bannerKeys(out);
    const ok = keys !== undefined && (await fetch(`${url}/ready`).then((r) => r.status === 200, () => false));
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`fluxbase serve not ready:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child, url, keys: keys!, exit,
    output: () => out,
    alive: () => child.exitCode === null && child.signalCode === null,
    metrics: async () => parseMetrics(await (await fetch(`${url}/metrics`)).text()),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
}

/** Keys from the JSON banner line, when printed (development mode prints them). */
function bannerKeys(out: string): ChildServer['keys'] | undefined {
  for (const line of out.split('\n')) {
    if (!line.startsWith('{') || !line.includes('anon_key')) continue;
    try {
      const o = JSON.parse(line) as { anon_key?: string; service_role_key?: string };
      if (o.anon_key && o.service_role_key) return { anon: o.anon_key, service_role: o.service_role_key };
    } catch {
      // a partial line: wait for the rest
    }
  }
  return undefined;
}

/** A Prometheus scrape: value of a series by name and exact label set (0 when absent). */
export interface Metrics {
  text: string;
  value(name: string, labels?: Record<string, string>): number;
}

export function parseMetrics(text: string): Metrics {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}=${v}`).sort().join(',');
    series.set(`${m[1]}{${labels}}`, Number(m[3]));
  }
  return {
    text,
    value(name, labels = {}) {
      const key = Object.entries(labels).map(([k, v]) => `${k}=${v}`).sort().join(',');
      return series.get(`${name}{${key}}`) ?? 0;
    },
  };
}

export interface Outcome {
  status: number;
  /** How long the call took, and when it ended (performance.now()). */
  ms: number;
  at: number;
  /** Body `code` of an error answer, `'(none)'` if it had none, `'(not json)'` if unparsable. */
  code?: string;
  /** Whether body.request_id equals the X-Request-ID header (error answers only). */
  requestIdMatches?: boolean;
  retryAfter?: string | null;
  /** The value the request tried to write (writers), to check acknowledged writes afterwards. */
  value?: string;
  /** Which mount answered (callers label it): `rest` (/rest/v1, PostgREST shape) or `api`. */
  mount?: 'rest' | 'api';
  /** Set when the client itself gave up (no answer within its timeout) or the connection failed. */
  clientError?: string;
}

export interface Load {
  stop(): Promise<Outcome[]>;
  outcomes: Outcome[];
}

/** `workers` closed loops calling `request` until stopped; each call's outcome is recorded. */
export function runLoad(workers: number, request: (worker: number, n: number) => Promise<Outcome>): Load {
  const outcomes: Outcome[] = [];
  let stopped = false;
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let n = 0; !stopped; n++) {
      const o = await request(w, n);
      outcomes.push(o);
      if (o.status !== 200 && o.status !== 201) await new Promise((r) => setTimeout(r, 25)); // no hot loop while failing
    }
  });
  return {
    outcomes,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

/** One HTTP call with a client-side timeout, summarised as an Outcome. */
export async function timedFetch(url: string, init: RequestInit, timeoutMs: number, value?: string): Promise<Outcome> {
  const started = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    const at = performance.now();
    const o: Outcome = { status: res.status, ms: at - started, at, retryAfter: res.headers.get('retry-after') };
    if (value !== undefined) o.value = value;
    if (res.status >= 400) {
      try {
        const body = JSON.parse(text) as { code?: string; request_id?: string };
        o.code = body.code ?? '(none)';
        o.requestIdMatches = body.request_id !== undefined && body.request_id === res.headers.get('x-request-id');
      } catch {
        o.code = '(not json)';
      }
    }
    return o;
  } catch (err) {
    const at = performance.now();
    const o: Outcome = { status: 0, ms: at - started, at, clientError: (err as Error).name === 'TimeoutError' ? 'timeout' : (err as Error).message };
    if (value !== undefined) o.value = value;
    return o;
  }
}

/** Poll until `check` holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The pool and in-flight gauges at rest: nothing held, nobody waiting, only the scrape itself in flight. */
export function atRest(m: Metrics): boolean {
  return m.value('fluxbase_db_pool_connections', { state: 'in_use' }) === 0
    && m.value('fluxbase_db_pool_connections', { state: 'waiting' }) === 0
    && m.value('fluxbase_http_requests_in_flight') === 1;
}

/** After a fault: gauges back to rest, the process alive, and no fault escaped to the last-resort handlers. */
export async function expectRecoveredAtRest(server: ChildServer): Promise<void> {
  expect(await eventually(async () => atRest(await server.metrics()), 10_000), 'pool and in-flight gauges back to rest').toBe(true);
  const m = await server.metrics();
  expect(m.value('fluxbase_process_faults_total', { kind: 'uncaught_exception' })).toBe(0);
  expect(m.value('fluxbase_process_faults_total', { kind: 'unhandled_rejection' })).toBe(0);
  expect(server.alive()).toBe(true);
}
