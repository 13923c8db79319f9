// Load generation with autocannon's programmatic API, and the side-by-side comparison:
// both sides get the same connections and duration, in alternating rounds (A,B,A,B,…),
// so noise on a shared machine hits both; the median of each side is reported.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { BenchOptions, LoadStats, SideName } from './types.ts';

export interface Target {
  url: string;
  headers?: Record<string, string>;
  method?: 'GET' | 'POST';
  /** The body of every request, or a builder called per request (a GraphQL variable that varies). */
  body?: string | (() => string);
  /** Count a 200 whose body has `"errors"` as an error (GraphQL reports failures with 200). */
  graphqlErrors?: boolean;
  /** A fresh path and query per request (e.g. a random id), replacing the url's. */
  path?: () => string;
  /** The server's process id: its CPU time per request is reported (/proc/<pid>/stat). */
  pid?: number;
  /** Instead of `pid`: the server's CPU time in µs so far (e.g. a process tree's, lib/fn-procs.ts). */
  cpu?: () => number | undefined;
}

/** The body a target's next request sends (a builder is called). */
export function bodyOf(target: Target): string | undefined {
  return typeof target.body === 'function' ? target.body() : target.body;
}

/** User + system CPU time of a process in microseconds (fields 14 and 15 of /proc/<pid>/stat, in clock ticks of 10 ms on Linux). */
function cpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

export async function load(target: Target, durationSec: number, connections: number): Promise<LoadStats> {
  const next = target.path;
  const body = target.body;
  const pid = target.pid;
  const cpu = target.cpu ?? (pid === undefined ? () => undefined : () => cpuMicros(pid));
  let bodyErrors = 0;
  let firstError: string | undefined;
  // setupRequest and onResponse run in the load generator for every request, on both sides alike.
  const setup = next || typeof body === 'function'
    ? (req: autocannon.Request): autocannon.Request => ({ ...req, ...(next ? { path: next() } : {}), ...(typeof body === 'function' ? { body: body() } : {}) })
    : undefined;
  const onResponse = target.graphqlErrors
    ? (status: number, resBody: string) => {
      if (status === 200 && resBody.includes('"errors"')) {
        bodyErrors++;
        firstError ??= resBody.slice(0, 300);
      }
    }
    : undefined;
  const cpuBefore = cpu();
  const result = await autocannon({
    url: target.url,
    method: target.method ?? 'GET',
    headers: target.headers ?? {},
    ...(typeof body === 'string' ? { body } : {}),
    ...(setup || onResponse ? { requests: [{ ...(setup ? { setupRequest: setup } : {}), ...(onResponse ? { onResponse } : {}) }] } : {}),
    connections,
    duration: durationSec,
    timeout: 10,
  });
  const cpuAfter = cpu();
  if (firstError !== undefined) process.stderr.write(`[bench] ${target.url}: ${bodyErrors} responses with GraphQL errors, first: ${firstError}\n`);
  return {
    ...(cpuBefore !== undefined && cpuAfter !== undefined && result.requests.total > 0 ? { cpuUs: (cpuAfter - cpuBefore) / result.requests.total } : {}),
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + bodyErrors,
  };
}

/** Shape of a JSON value (keys and types, not values), to check both sides answer alike. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, shape(x)]));
  }
  return typeof v;
}

/** One request to each side: both must answer 200 with JSON bodies of the same shape. */
export async function preflight(sides: Record<SideName, Target>): Promise<void> {
  const bodies: Partial<Record<SideName, unknown>> = {};
  for (const side of ['baseline', 'fluxbase'] as const) {
    const { url, headers } = sides[side];
    const res = await fetch(url, { headers: headers ?? {} });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${side} ${url} answered ${res.status}: ${text}`);
    bodies[side] = JSON.parse(text);
  }
  const a = JSON.stringify(shape(bodies.baseline));
  const b = JSON.stringify(shape(bodies.fluxbase));
  if (a !== b) throw new Error(`the two sides answer differently shaped bodies: baseline ${a}, fluxbase ${b}`);
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function summarise(runs: LoadStats[]): LoadStats {
  const cpu = runs.map((r) => r.cpuUs).filter((c): c is number => c !== undefined);
  return {
    ...(cpu.length > 0 ? { cpuUs: median(cpu) } : {}),
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    requests: runs.reduce((n, r) => n + r.requests, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
  };
}

export async function compareSides(
  label: string,
  sides: Record<SideName, Target>,
  options: BenchOptions,
  log: (m: string) => void,
  check: (sides: Record<SideName, Target>) => Promise<void> = preflight,
): Promise<Record<SideName, LoadStats>> {
  await check(sides);
  return alternate(label, sides, ['baseline', 'fluxbase'], options, log);
}

/** Warm-up of each target, then rounds A,B,A,B,… (in the order given); the median of each. */
export async function alternate<K extends string>(
  label: string,
  targets: Record<K, Target>,
  order: K[],
  options: BenchOptions,
  log: (m: string) => void,
): Promise<Record<K, LoadStats>> {
  if (options.warmupSec > 0) {
    for (const k of order) {
      log(`${label}: warm-up ${k} ${options.warmupSec}s`);
      await load(targets[k], options.warmupSec, options.connections);
    }
  }
  const runs = Object.fromEntries(order.map((k) => [k, [] as LoadStats[]])) as Record<K, LoadStats[]>;
  for (let round = 1; round <= options.rounds; round++) {
    for (const k of order) {
      const r = await load(targets[k], options.durationSec, options.connections);
      runs[k].push(r);
      log(`${label}: round ${round}/${options.rounds} ${k.padEnd(8)} ${Math.round(r.rps)} req/s, p99 ${r.p99} ms${r.cpuUs === undefined ? '' : `, server CPU ${Math.round(r.cpuUs)} µs/req`}${r.non2xx + r.errors > 0 ? `, ${r.non2xx} non-2xx, ${r.errors} errors` : ''}`);
    }
  }
  return Object.fromEntries(order.map((k) => [k, summarise(runs[k])])) as Record<K, LoadStats>;
}
