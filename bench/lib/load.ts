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
  /** The same body on every request. */
  body?: string;
  /** A fresh path and query per request (e.g. a random id), replacing the url's. */
  path?: () => string;
  /** The server's process id: its CPU time per request is reported (/proc/<pid>/stat). */
  pid?: number;
  /** Instead of `pid`: the server's CPU time in µs so far (e.g. a process tree's, lib/fn-procs.ts). */
  cpu?: () => number | undefined;
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
  const pid = target.pid;
  const cpu = target.cpu ?? (pid === undefined ? () => undefined : () => cpuMicros(pid));
  const cpuBefore = cpu();
  const result = await autocannon({
    url: target.url,
    method: target.method ?? 'GET',
    headers: target.headers ?? {},
    ...(target.body !== undefined ? { body: target.body } : {}),
    // setupRequest runs in the load generator for every request, on both sides alike.
    ...(next ? { requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, path: next() }) }] } : {}),
    connections,
    duration: durationSec,
    timeout: 10,
  });
  const cpuAfter = cpu();
  return {
    ...(cpuBefore !== undefined && cpuAfter !== undefined && result.requests.total > 0 ? { cpuUs: (cpuAfter - cpuBefore) / result.requests.total } : {}),
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
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
  const order: SideName[] = ['baseline', 'fluxbase'];
  if (options.warmupSec > 0) {
    for (const side of order) {
      log(`${label}: warm-up ${side} ${options.warmupSec}s`);
      await load(sides[side], options.warmupSec, options.connections);
    }
  }
  const runs: Record<SideName, LoadStats[]> = { baseline: [], fluxbase: [] };
  for (let round = 1; round <= options.rounds; round++) {
    for (const side of order) {
      const r = await load(sides[side], options.durationSec, options.connections);
      runs[side].push(r);
      log(`${label}: round ${round}/${options.rounds} ${side.padEnd(8)} ${Math.round(r.rps)} req/s, p99 ${r.p99} ms${r.cpuUs === undefined ? '' : `, server CPU ${Math.round(r.cpuUs)} µs/req`}${r.non2xx + r.errors > 0 ? `, ${r.non2xx} non-2xx, ${r.errors} errors` : ''}`);
    }
  }
  return { baseline: summarise(runs.baseline), fluxbase: summarise(runs.fluxbase) };
}
