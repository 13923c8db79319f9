// The edge-functions benchmarks (group `functions`; README "Functions"). One function,
// `hello` (lib/fn-deno.ts HANDLER_SOURCE: answers "hello"), deployed through
// POST /api/v1/functions (service-role token) and invoked as GET /functions/v1/hello with
// `apikey: <anon key>`. The Fluxbase side is the real server in its own process; the
// baselines run the same handler file in bare Deno.
//   fn-cold  cold invoke latency, functions.warm_pool_size 0 (a new Deno process per call):
//            sequential invocations on one connection, p50/p90 of the HTTP round trip, against
//            `deno run` of a file that imports the handler, calls it and prints the body,
//            spawned from Node (wall time spawn → exit). The samples alternate bare, Fluxbase, …
//            Goal: Fluxbase p50 ≤ bare p50 + 10 ms. Also, informative: the first invoke after a
//            redeploy with the warm pool on (a new warm worker's start), over REDEPLOYS deploys.
//   fn-warm  warm throughput, default warm pool: autocannon against a bare `Deno.serve` of
//            the handler (its own Deno process). Goal: ≥ 35% of the baseline's req/s. Also the
//            RSS of each warm Deno worker under the Fluxbase side.
import { performance } from 'node:perf_hooks';
import { anonKey } from './lib/auth-fixture.ts';
import { startSide, withSides, type ChildSide } from './lib/child.ts';
import { BODY, bareColdRun, bareDenoServer, coldWorkspace, HANDLER_SOURCE } from './lib/fn-deno.ts';
import { cmdline, descendants, rssOf, treeCpuMicros } from './lib/fn-procs.ts';
import { fluxbaseServer } from './lib/fluxbase.ts';
import { compareSides, type Target } from './lib/load.ts';
import { rtServiceToken } from './lib/rt-fixture.ts';
import { backendCpu, backendCpuDelta, cpuMicros } from './lib/rt-load.ts';
import type { Benchmark, Row, ServeMap, ServeOptions, SideName } from './lib/types.ts';

const GROUP = 'functions';
const FUNCTION = 'hello';
/** F1: Fluxbase cold p50 may exceed the bare `deno run` p50 by this much. */
const COLD_SLACK_MS = 10;
/** F2: Fluxbase ≥ this share of the bare Deno.serve's req/s. */
const WARM_GOAL = 0.35;
/** F1 samples per side (BENCH_FN_SAMPLES), after COLD_WARMUP unmeasured ones. */
const SAMPLES = Number(process.env.BENCH_FN_SAMPLES ?? 30);
const COLD_WARMUP = 3;
/** F1's informative row: redeploys (each runs the compiler's check, ~1 s). 0 skips it. */
const REDEPLOYS = Number(process.env.BENCH_FN_REDEPLOYS ?? 10);

// The function folder (functions.dir, deployed at start) must not pick anything up.
const NO_FOLDER = { dir: '/nonexistent/fluxbase-bench-functions' };
/** Analysis only (README "Functions"): functions.warm_workers_per_function of the warm side; unset = the default (2). */
const WARM_WORKERS = process.env.BENCH_FN_WARM_WORKERS ? { warm_workers_per_function: Number(process.env.BENCH_FN_WARM_WORKERS) } : {};
const OVERRIDES: Record<string, Record<string, unknown>> = {
  // Every invocation starts a new Deno process.
  cold: { functions: { ...NO_FOLDER, warm_pool_size: 0 } },
  // The default warm pool (32 workers, 2 per function, 1,000 requests per worker).
  warm: { functions: { ...NO_FOLDER, ...WARM_WORKERS } },
};

export const serve: ServeMap = {
  fluxbase: (options) => fluxbaseServer(options, [], OVERRIDES[options.variant ?? 'warm'] ?? OVERRIDES.warm),
  baseline: () => bareDenoServer(),
};

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
};
const ms1 = (x: number) => x.toFixed(1);

/** POST (a first deploy: any earlier `hello` of the run's database is deleted first) or PUT (a redeploy); ms. */
async function deploy(url: string, secret: string, code: string, update: boolean): Promise<number> {
  if (!update) {
    const del = await fetch(`${url}/api/v1/functions/${FUNCTION}`, { method: 'DELETE', headers: { authorization: `Bearer ${rtServiceToken(secret)}` } });
    await del.arrayBuffer();
    if (del.status >= 300 && del.status !== 404) throw new Error(`deleting ${FUNCTION} answered ${del.status}`);
  }
  const t0 = performance.now();
  const res = await fetch(update ? `${url}/api/v1/functions/${FUNCTION}` : `${url}/api/v1/functions`, {
    method: update ? 'PUT' : 'POST',
    headers: { authorization: `Bearer ${rtServiceToken(secret)}`, 'content-type': 'application/json' },
    body: JSON.stringify(update ? { code } : { name: FUNCTION, code }),
  });
  const text = await res.text();
  if (res.status !== (update ? 200 : 201)) throw new Error(`deploying ${FUNCTION} answered ${res.status}: ${text.slice(0, 500)}`);
  return performance.now() - t0;
}

/** One invocation on the caller's keep-alive connection: round-trip ms; the answer must be 200 BODY. */
async function invoke(url: string, apikey: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/functions/v1/${FUNCTION}`, { headers: { apikey } });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200 || text !== BODY) throw new Error(`GET /functions/v1/${FUNCTION} answered ${res.status}: ${text.slice(0, 500)}`);
  return ms;
}

async function withFluxbase<T>(variant: 'cold' | 'warm', serveOptions: ServeOptions, fn: (side: ChildSide) => Promise<T>): Promise<T> {
  const side = await startSide(GROUP, 'fluxbase', { ...serveOptions, variant });
  try {
    return await fn(side);
  } finally {
    await side.stop();
  }
}

/** The first invoke after each redeploy (a new warm worker) and the one after it (warm), with the default warm pool. */
async function redeploys(serveOptions: ServeOptions, log: (m: string) => void): Promise<Row[]> {
  if (REDEPLOYS <= 0) return [];
  return withFluxbase('warm', serveOptions, async (side) => {
    const secret = serveOptions.jwtSecret;
    const apikey = anonKey(secret);
    await deploy(side.url, secret, HANDLER_SOURCE, false);
    await invoke(side.url, apikey);
    const first: number[] = [];
    const second: number[] = [];
    const deploys: number[] = [];
    for (let i = 1; i <= REDEPLOYS; i++) {
      // A changed comment: new code, a new version, the old version's workers stopped.
      deploys.push(await deploy(side.url, secret, `${HANDLER_SOURCE}// redeploy ${i}\n`, true));
      first.push(await invoke(side.url, apikey));
      second.push(await invoke(side.url, apikey));
    }
    log(`fn-cold: after a redeploy, first invoke ${first.map(ms1).join(', ')} ms; second ${second.map(ms1).join(', ')} ms; deploys ${deploys.map((d) => Math.round(d)).join(', ')} ms`);
    return [{
      kind: 'measure', bench: 'fn-cold', metric: `first invoke after a redeploy, warm pool on (a new warm worker), p50 of ${REDEPLOYS}`,
      value: quantile(first, 0.5), unit: 'ms',
      detail: `p50 ${ms1(quantile(first, 0.5))} ms, p90 ${ms1(quantile(first, 0.9))} ms; the next invoke (same worker) p50 ${ms1(quantile(second, 0.5))} ms; deploy (PUT, type check) p50 ${Math.round(quantile(deploys, 0.5))} ms; informative`,
    }];
  });
}

const fnCold: Benchmark = {
  name: 'fn-cold',
  group: GROUP,
  description: `F1 cold invoke (warm_pool_size 0) vs bare \`deno run\`: p50 within ${COLD_SLACK_MS} ms`,
  needsDatabase: true,
  async run(ctx) {
    const serveOptions = ctx.serve!;
    const ws = coldWorkspace();
    try {
      const rows = await withFluxbase('cold', serveOptions, async (side) => {
        const secret = serveOptions.jwtSecret;
        const apikey = anonKey(secret);
        const deployMs = await deploy(side.url, secret, HANDLER_SOURCE, false);
        ctx.log(`fn-cold: ${FUNCTION} deployed in ${Math.round(deployMs)} ms`);
        const times: Record<SideName, number[]> = { baseline: [], fluxbase: [] };
        for (let i = 0; i < COLD_WARMUP + SAMPLES; i++) {
          const b = await bareColdRun(ws);
          const f = await invoke(side.url, apikey);
          if (i >= COLD_WARMUP) {
            times.baseline.push(b);
            times.fluxbase.push(f);
          }
        }
        for (const s of ['baseline', 'fluxbase'] as const) ctx.log(`fn-cold: ${s} ${times[s].map(ms1).join(', ')} ms`);
        const p = (s: SideName, q: number) => quantile(times[s], q);
        const diff = p('fluxbase', 0.5) - p('baseline', 0.5);
        const out: Row[] = [
          {
            kind: 'measure', bench: 'fn-cold', metric: `cold invoke p50, Fluxbase - bare deno run (${SAMPLES} samples each)`, value: diff, unit: 'ms', max: COLD_SLACK_MS,
            detail: `Fluxbase ${ms1(p('fluxbase', 0.5))} ms - bare ${ms1(p('baseline', 0.5))} ms = ${diff >= 0 ? '+' : ''}${ms1(diff)} ms`,
          },
          {
            kind: 'measure', bench: 'fn-cold', metric: 'cold invoke, Fluxbase (GET /functions/v1/hello round trip, warm_pool_size 0), p50', value: p('fluxbase', 0.5), unit: 'ms',
            detail: `p50 ${ms1(p('fluxbase', 0.5))} ms, p90 ${ms1(p('fluxbase', 0.9))} ms, min ${ms1(Math.min(...times.fluxbase))} ms`,
          },
          {
            kind: 'measure', bench: 'fn-cold', metric: 'bare deno run of the same handler (spawn -> exit), p50', value: p('baseline', 0.5), unit: 'ms',
            detail: `p50 ${ms1(p('baseline', 0.5))} ms, p90 ${ms1(p('baseline', 0.9))} ms, min ${ms1(Math.min(...times.baseline))} ms`,
          },
        ];
        return out;
      });
      rows.push(...(await redeploys(serveOptions, ctx.log)));
      return rows;
    } finally {
      ws.remove();
    }
  },
};

/** Both sides answer 200 and the same body to the same request. */
async function sameBody(sides: Record<SideName, Target>): Promise<void> {
  const bodies: Partial<Record<SideName, string>> = {};
  for (const side of ['baseline', 'fluxbase'] as const) {
    const { url, headers } = sides[side];
    const res = await fetch(url, { headers: headers ?? {} });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${side} ${url} answered ${res.status}: ${text.slice(0, 500)}`);
    bodies[side] = text;
  }
  if (bodies.baseline !== BODY || bodies.fluxbase !== BODY) {
    throw new Error(`the two sides answer different bodies: baseline ${JSON.stringify(bodies.baseline)}, fluxbase ${JSON.stringify(bodies.fluxbase)} (expected ${JSON.stringify(BODY)})`);
  }
}

/** The side's Deno processes whose command line names a warm worker's dir, and their RSS. */
function warmWorkers(pid: number): { pid: number; rss: number }[] {
  return descendants(pid).filter((p) => cmdline(p).includes('fluxbase-warm-')).flatMap((p) => {
    const rss = rssOf(p);
    return rss === undefined ? [] : [{ pid: p, rss }];
  });
}

/** Counters of the function runtime from /metrics (starts by kind, recycles by reason). */
async function runtimeCounters(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^fluxbase_functions_(starts_total|worker_recycles_total)\{(\w+)="(\w+)"\} (\S+)$/gm)) out.set(`${m[1]!.replace('_total', '')} ${m[3]}`, Number(m[4]));
  return out;
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

const fnWarm: Benchmark = {
  name: 'fn-warm',
  group: GROUP,
  description: `F2 warm invoke throughput (default warm pool) vs bare Deno.serve: >= ${Math.round(WARM_GOAL * 100)}%`,
  needsDatabase: true,
  async run(ctx) {
    const serveOptions = ctx.serve!;
    return withSides(GROUP, { ...serveOptions, variant: 'warm' }, async ({ baseline, fluxbase }) => {
      const secret = serveOptions.jwtSecret;
      const apikey = anonKey(secret);
      await deploy(fluxbase.url, secret, HANDLER_SOURCE, false);
      const before = await runtimeCounters(fluxbase.url);
      const database = new URL(serveOptions.databaseUrl).pathname.slice(1);
      const cpu0 = { node: cpuMicros(fluxbase.pid), tree: treeCpuMicros(fluxbase.pid) ?? NaN, pg: backendCpu(database) };
      const result = await compareSides('fn-warm', {
        baseline: { url: `${baseline.url}/functions/v1/${FUNCTION}`, headers: { apikey }, cpu: () => treeCpuMicros(baseline.pid) },
        fluxbase: { url: `${fluxbase.url}/functions/v1/${FUNCTION}`, headers: { apikey }, cpu: () => treeCpuMicros(fluxbase.pid) },
      }, ctx.options, ctx.log, sameBody);
      const cpu1 = { node: cpuMicros(fluxbase.pid), tree: treeCpuMicros(fluxbase.pid) ?? NaN, pg: backendCpu(database) };
      const workers = warmWorkers(fluxbase.pid);
      const after = await runtimeCounters(fluxbase.url);
      const delta = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
      const counters = [...after.keys()].filter((k) => delta(k) > 0).map((k) => `${k} ${delta(k)}`).join(', ');
      ctx.log(`fn-warm: runtime counters over warm-up and rounds: ${counters}`);
      // Fluxbase's CPU per invocation over its warm-up and rounds (the baseline's rounds leave it idle).
      const invocations = delta('starts warm') + delta('starts cold');
      const per = (us: number) => us / Math.max(1, invocations);
      const nodeUs = per(cpu1.node - cpu0.node);
      const denoUs = per(cpu1.tree - cpu0.tree - (cpu1.node - cpu0.node));
      const pgUs = per(backendCpuDelta(cpu0.pg, cpu1.pg));
      ctx.log(`fn-warm: Fluxbase CPU per invocation: node ${Math.round(nodeUs)} µs, Deno workers ${Math.round(denoUs)} µs, PostgreSQL backends ${Math.round(pgUs)} µs (${invocations} invocations)`);
      const denoServer = descendants(baseline.pid).map(rssOf).find((r) => r !== undefined);
      const rows: Row[] = [{
        kind: 'compare', bench: 'fn-warm', what: `GET /functions/v1/${FUNCTION} (warm pool) vs bare Deno.serve`,
        baseline: result.baseline, fluxbase: result.fluxbase, ratio: result.fluxbase.rps / result.baseline.rps, goal: WARM_GOAL,
      }];
      rows.push({
        kind: 'measure', bench: 'fn-warm', metric: 'CPU per warm invocation, Fluxbase: node + Deno workers + PostgreSQL', value: nodeUs + denoUs + pgUs, unit: 'µs',
        detail: `node ${Math.round(nodeUs)} µs, Deno workers ${Math.round(denoUs)} µs, PostgreSQL backends ${Math.round(pgUs)} µs (${invocations} invocations: warm-up and rounds); bare Deno.serve ${result.baseline.cpuUs === undefined ? '?' : Math.round(result.baseline.cpuUs)} µs/req; informative`,
      });
      if (workers.length > 0) {
        const avg = workers.reduce((n, w) => n + w.rss, 0) / workers.length;
        rows.push({
          kind: 'measure', bench: 'fn-warm', metric: `RSS per warm Deno worker (mean of ${workers.length}, after the rounds)`, value: avg / 2 ** 20, unit: 'MB',
          detail: `${workers.map((w) => `${mb(w.rss)}`).join(' / ')} MB; Fluxbase node process ${mb(rssOf(fluxbase.pid) ?? 0)} MB; bare Deno.serve ${denoServer === undefined ? '?' : mb(denoServer)} MB; runtime counters ${counters}; informative`,
        });
      } else {
        ctx.log('fn-warm: no warm worker found under the Fluxbase side');
      }
      return rows;
    });
  },
};

export const benchmarks: Benchmark[] = [fnCold, fnWarm];
