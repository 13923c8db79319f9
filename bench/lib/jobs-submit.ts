// J2 of issue 14 (`jobs-submit`, group `jobs`; README "Jobs", "J2"): submit throughput over HTTP,
// and the enqueue → start latency.
//   1. Throughput: the real server in its own process (lib/fluxbase.ts, `jobs.worker_count` 0: the
//      jobs are queued but nothing runs them, so no Deno process competes for the CPU with the
//      HTTP path), the job function `noop` deployed through POST /api/v1/admin/jobs/functions;
//      closed-loop autocannon load of POST /api/v1/jobs/submit {"job_name":"noop","payload":{"n":1}}
//      with a service-role token, against the bare submit server (lib/jobs-submit-baseline.ts) in
//      its own process, same connections, alternating rounds (baseline, Fluxbase, …); median
//      submits/s and HTTP p50/p99 of each side, and the ratio (informative: the issue sets no goal).
//   2. Enqueue → start: the same server with its workers on (the jobs.* defaults, 4 × 5), jobs
//      submitted at a fixed rate (open loop: each one at its time, whatever the earlier ones do)
//      for BENCH_JOBS_SUBMIT_SECONDS, one HTTP request per job; each job's `started_at - created_at`
//      (the INSERT's statement time → a worker's claim, the database's clock) and `completed_at -
//      created_at`. Alternating with the same rate of direct INSERT + NOTIFY (submitJob's
//      statements through a postgres.js pool) into the same server's queue, so the HTTP path's
//      share is visible; also from the client's send (its clock) to the start, and the call's own time.
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { AUTHENTICATOR_ROLE, DEFAULT_MIGRATIONS_DIR, loadMigrations, migrateUp } from '../../packages/server/src/db/index.ts';
import { startSide, withSides, type ChildSide } from './child.ts';
import { fluxbaseServer } from './fluxbase.ts';
import { authenticatorPool, findNoop, insertJob, NOOP_FUNCTION, SUBMIT_BODY, SUBMIT_PATH, submitBaseline } from './jobs-submit-baseline.ts';
import { bodyOf, load, type Target } from './load.ts';
import { authenticatorUrl } from './rest-fixture.ts';
import { rtServiceToken } from './rt-fixture.ts';
import { backendCpu, backendCpuDelta } from './rt-load.ts';
import type { BenchContext, Benchmark, LoadStats, Row, ServeMap, ServeOptions, SideName } from './types.ts';

const BENCH = 'jobs-submit';
/** Seconds of fixed-rate submits per side per latency round (BENCH_JOBS_SUBMIT_SECONDS). */
const LATENCY_SECONDS = Number(process.env.BENCH_JOBS_SUBMIT_SECONDS ?? 15);
/** Jobs per second of the latency rounds (BENCH_JOBS_SUBMIT_RATE). */
const LATENCY_RATE = Number(process.env.BENCH_JOBS_SUBMIT_RATE ?? 20);
/** Jobs submitted per side, unmeasured, before the latency rounds (the first Deno runs, caches). */
const LATENCY_WARMUP = 20;
const COMPLETE_TIMEOUT_MS = 300_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const int = (x: number) => Math.round(x).toLocaleString('en-US');
const f1 = (x: number) => x.toFixed(1);
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
};
const median = (xs: number[]) => quantile(xs, 0.5);
const pp = (xs: number[]) => `p50 ${f1(median(xs))} / p99 ${f1(quantile(xs, 0.99))} ms`;
/** Wall clock in ms with a fraction (comparable with the database's timestamps: same host). */
const wallMs = () => performance.timeOrigin + performance.now();

export const submitServe: ServeMap = {
  // 'submit': queued, never run (the throughput rounds); 'latency': the jobs.* defaults (4 workers × 5).
  fluxbase: (o) => fluxbaseServer(o, [], o.variant === 'latency' ? {} : { jobs: { worker_count: 0 } }),
  baseline: (o) => submitBaseline(o),
};

/** Migrations, and the authenticator's login password (as the server's first start sets it), so the baseline can log in before Fluxbase starts. */
async function fixture(serve: ServeOptions): Promise<void> {
  const sql = postgres(serve.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await migrateUp(sql, loadMigrations(DEFAULT_MIGRATIONS_DIR));
    const password = new URL(authenticatorUrl(serve)).password; // base64url: safe in the literal
    await sql.unsafe(`alter role ${AUTHENTICATOR_ROLE} with login password '${password}'`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function deployNoop(url: string, token: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/admin/jobs/functions`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(NOOP_FUNCTION),
  });
  const text = await res.text();
  if (res.status !== 201 && res.status !== 200) throw new Error(`POST /api/v1/admin/jobs/functions answered ${res.status}: ${text.slice(0, 500)}`);
}

async function clearQueue(owner: postgres.Sql): Promise<number> {
  const r = await owner`delete from jobs.queue where job_name = ${NOOP_FUNCTION.name}`;
  await owner.unsafe('vacuum (analyze) jobs.queue');
  return r.count;
}

/** Keys and value types of a JSON value (as lib/load.ts preflight compares them). */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, shape(x)]));
  return typeof v;
}

/** One submit to each side: 201 and Job JSON bodies of the same shape. */
async function preflight(targets: Record<SideName, Target>): Promise<void> {
  const bodies: Partial<Record<SideName, unknown>> = {};
  for (const side of ['baseline', 'fluxbase'] as const) {
    const t = targets[side];
    const res = await fetch(t.url, { method: 'POST', headers: t.headers ?? {}, body: bodyOf(t) ?? '' });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`${side} ${t.url} answered ${res.status}: ${text.slice(0, 500)}`);
    bodies[side] = JSON.parse(text);
  }
  const a = JSON.stringify(shape(bodies.baseline));
  const b = JSON.stringify(shape(bodies.fluxbase));
  if (a !== b) throw new Error(`the two sides answer differently shaped bodies: baseline ${a}, fluxbase ${b}`);
}

interface ThroughputRound extends LoadStats {
  /** CPU µs per submit of the database's backends (all of them: the other side's pool is idle meanwhile). */
  pgUs: number;
}

async function throughput(ctx: BenchContext, owner: postgres.Sql, database: string): Promise<Record<SideName, ThroughputRound[]>> {
  const serve = ctx.serve!;
  const token = rtServiceToken(serve.jwtSecret);
  return withSides('jobs', { ...serve, variant: 'submit' }, async ({ baseline, fluxbase }) => {
    await deployNoop(fluxbase.url, token);
    const target = (s: ChildSide): Target => ({
      url: `${s.url}${SUBMIT_PATH}`, method: 'POST', body: SUBMIT_BODY, pid: s.pid,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    const targets: Record<SideName, Target> = { baseline: target(baseline), fluxbase: target(fluxbase) };
    await preflight(targets);
    const { options } = ctx;
    if (options.warmupSec > 0) {
      for (const side of ['baseline', 'fluxbase'] as const) {
        ctx.log(`${BENCH}: warm-up ${side} ${options.warmupSec}s`);
        await load(targets[side], options.warmupSec, options.connections);
      }
    }
    const runs: Record<SideName, ThroughputRound[]> = { baseline: [], fluxbase: [] };
    for (let round = 1; round <= options.rounds; round++) {
      for (const side of ['baseline', 'fluxbase'] as const) {
        const pg0 = backendCpu(database);
        const r = await load(targets[side], options.durationSec, options.connections);
        const pgUs = backendCpuDelta(pg0, backendCpu(database)) / Math.max(1, r.requests);
        runs[side].push({ ...r, pgUs });
        ctx.log(`${BENCH}: round ${round}/${options.rounds} ${side.padEnd(8)} ${int(r.rps)} submits/s, p50 ${r.p50} / p99 ${r.p99} ms, ` +
          `CPU µs/submit node ${int(r.cpuUs ?? NaN)} + PostgreSQL ${int(pgUs)}${r.non2xx + r.errors > 0 ? `, ${r.non2xx} non-2xx, ${r.errors} errors` : ''}`);
      }
    }
    // Both sides wrote the same rows (but id and times).
    const kinds = await owner`
      select namespace, job_name, kind, job_function_id, payload, priority, max_retries, max_duration_seconds, created_by, user_role, status, count(*)::int as n
      from jobs.queue where job_name = ${NOOP_FUNCTION.name}
      group by namespace, job_name, kind, job_function_id, payload, priority, max_retries, max_duration_seconds, created_by, user_role, status`;
    if (kinds.length !== 1) throw new Error(`the two sides wrote different rows: ${JSON.stringify(kinds)}`);
    ctx.log(`${BENCH}: ${int(kinds[0]!.n as number)} jobs queued by the throughput rounds, all alike: ${JSON.stringify({ ...kinds[0], n: undefined })}`);
    return runs;
  });
}

interface LatencySample {
  /** created_at → started_at, created_at → completed_at, client send → started_at, the call's own time (ms). */
  start: number;
  complete: number;
  sendToStart: number;
  call: number;
}

type Feed = 'http' | 'direct';

/** `n` calls at `rate`/s, each started at its time (open loop); the job ids and each call's send time and duration. */
async function paced(n: number, rate: number, call: () => Promise<string>): Promise<{ id: string; sentAt: number; ms: number }[]> {
  const t0 = performance.now();
  const pending: Promise<{ id: string; sentAt: number; ms: number }>[] = [];
  for (let i = 0; i < n; i++) {
    const due = (i * 1000) / rate - (performance.now() - t0);
    if (due > 0) await sleep(due);
    const sentAt = wallMs();
    const s = performance.now();
    pending.push(call().then((id) => ({ id, sentAt, ms: performance.now() - s })));
  }
  return Promise.all(pending);
}

async function latencyRound(owner: postgres.Sql, n: number, call: () => Promise<string>): Promise<LatencySample[]> {
  const sent = await paced(n, LATENCY_RATE, call);
  const ids = sent.map((s) => s.id);
  const deadline = performance.now() + COMPLETE_TIMEOUT_MS;
  for (;;) {
    const [{ done }] = await owner<[{ done: number }]>`
      select count(*)::int as done from jobs.queue where id = any(${ids}::uuid[]) and status in ('completed', 'failed', 'cancelled')`;
    if (done === n) break;
    if (performance.now() > deadline) throw new Error(`${BENCH}: only ${done} of ${n} jobs finished within ${COMPLETE_TIMEOUT_MS} ms`);
    await sleep(50);
  }
  const rows = await owner<{ id: string; status: string; error: string | null; created: number; started: number; completed: number }[]>`
    select id::text, status, error_message as error, extract(epoch from created_at)::float8 * 1000 as created,
      extract(epoch from started_at)::float8 * 1000 as started, extract(epoch from completed_at)::float8 * 1000 as completed
    from jobs.queue where id = any(${ids}::uuid[])`;
  const bad = rows.filter((r) => r.status !== 'completed');
  if (bad.length > 0) throw new Error(`${BENCH}: ${bad.length} jobs did not complete, e.g. ${bad[0]!.status}: ${bad[0]!.error ?? ''}`);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return sent.map((s) => {
    const r = byId.get(s.id)!;
    return { start: r.started - r.created, complete: r.completed - r.created, sendToStart: r.started - s.sentAt, call: s.ms };
  });
}

async function latency(ctx: BenchContext, owner: postgres.Sql): Promise<Record<Feed, LatencySample[][]>> {
  const serve = ctx.serve!;
  const token = rtServiceToken(serve.jwtSecret);
  const side = await startSide('jobs', 'fluxbase', { ...serve, variant: 'latency' });
  const direct = authenticatorPool(serve, 10);
  try {
    await deployNoop(side.url, token);
    const fn = await findNoop(direct);
    const calls: Record<Feed, () => Promise<string>> = {
      http: async () => {
        const res = await fetch(`${side.url}${SUBMIT_PATH}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: SUBMIT_BODY });
        const text = await res.text();
        if (res.status !== 201) throw new Error(`submit answered ${res.status}: ${text.slice(0, 300)}`);
        return (JSON.parse(text) as { id: string }).id;
      },
      direct: async () => (await insertJob(direct, fn, { n: 1 })).id,
    };
    for (const feed of ['direct', 'http'] as const) await latencyRound(owner, LATENCY_WARMUP, calls[feed]);
    const n = Math.max(1, Math.round(LATENCY_SECONDS * LATENCY_RATE));
    const out: Record<Feed, LatencySample[][]> = { http: [], direct: [] };
    for (let round = 1; round <= ctx.options.rounds; round++) {
      const order: Feed[] = round % 2 === 1 ? ['direct', 'http'] : ['http', 'direct'];
      for (const feed of order) {
        const s = await latencyRound(owner, n, calls[feed]);
        out[feed].push(s);
        ctx.log(`${BENCH}: latency round ${round}/${ctx.options.rounds} ${feed.padEnd(6)} ${n} jobs at ${LATENCY_RATE}/s: created -> started ${pp(s.map((x) => x.start))}; ` +
          `created -> completed ${pp(s.map((x) => x.complete))}; send -> started ${pp(s.map((x) => x.sendToStart))}; call ${pp(s.map((x) => x.call))}`);
      }
    }
    return out;
  } finally {
    await direct.end({ timeout: 5 });
    await side.stop();
  }
}

export const jobsSubmit: Benchmark = {
  name: BENCH,
  group: 'jobs',
  description: `J2 POST /api/v1/jobs/submit submits/s vs a bare INSERT+NOTIFY server (informative), and enqueue -> start p50/p99 at ${LATENCY_RATE} jobs/s`,
  needsDatabase: true,
  async run(ctx) {
    const serve = ctx.serve!;
    const database = new URL(serve.databaseUrl).pathname.slice(1);
    const owner = postgres(serve.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      await fixture(serve);
      await clearQueue(owner);
      const tp = await throughput(ctx, owner, database);
      ctx.log(`${BENCH}: ${int(await clearQueue(owner))} queued jobs deleted before the latency rounds`);
      const lat = await latency(ctx, owner);
      await clearQueue(owner);

      const errors = (['baseline', 'fluxbase'] as const).flatMap((s) => tp[s].filter((r) => r.non2xx + r.errors > 0).map((r) => `${s}: ${r.non2xx} non-2xx, ${r.errors} errors`));
      if (errors.length > 0) throw new Error(`${BENCH}: failed submits: ${errors.join('; ')}`);
      const med = (s: SideName, k: 'rps' | 'p50' | 'p99' | 'cpuUs' | 'pgUs') => median(tp[s].map((r) => r[k] ?? NaN));
      const b = { rps: med('baseline', 'rps'), p50: med('baseline', 'p50'), p99: med('baseline', 'p99'), node: med('baseline', 'cpuUs'), pg: med('baseline', 'pgUs') };
      const f = { rps: med('fluxbase', 'rps'), p50: med('fluxbase', 'p50'), p99: med('fluxbase', 'p99'), node: med('fluxbase', 'cpuUs'), pg: med('fluxbase', 'pgUs') };
      const rounds = (s: SideName) => tp[s].map((r) => int(r.rps)).join(', ');
      const conn = `${ctx.options.connections} connections, ${ctx.options.durationSec}s x ${ctx.options.rounds} rounds, no workers`;
      const all = (feed: Feed, k: keyof LatencySample) => lat[feed].flat().map((x) => x[k]);
      const perRound = (feed: Feed, k: keyof LatencySample) => lat[feed].map((r) => `${f1(median(r.map((x) => x[k])))}/${f1(quantile(r.map((x) => x[k]), 0.99))}`).join(', ');
      const nJobs = lat.http.flat().length;
      const latRow = (feed: Feed, k: keyof LatencySample, metric: string): Row => ({
        kind: 'measure', bench: BENCH, metric, value: median(all(feed, k)), unit: 'ms',
        detail: `${pp(all(feed, k))} (${lat[feed].flat().length} jobs; p50/p99 per round ${perRound(feed, k)}); informative`,
      });
      const feedName = { http: `HTTP submit at ${LATENCY_RATE}/s`, direct: `direct INSERT+NOTIFY at ${LATENCY_RATE}/s` };
      return [
        {
          kind: 'measure', bench: BENCH, metric: `J2 submits/s, Fluxbase / bare INSERT+NOTIFY server (${conn})`, value: (f.rps / b.rps) * 100, unit: '%',
          detail: `Fluxbase ${int(f.rps)}/s (rounds ${rounds('fluxbase')}), bare ${int(b.rps)}/s (rounds ${rounds('baseline')}); ` +
            `per round ${tp.fluxbase.map((r, i) => `${((r.rps / tp.baseline[i]!.rps) * 100).toFixed(1)}%`).join(', ')}; informative, no goal`,
        },
        {
          kind: 'measure', bench: BENCH, metric: 'J2 Fluxbase POST /api/v1/jobs/submit, submits/s (median round)', value: f.rps, unit: '/s',
          detail: `HTTP p50 ${f.p50} / p99 ${f.p99} ms; CPU µs/submit: node ${int(f.node)} + PostgreSQL backends ${int(f.pg)}`,
        },
        {
          kind: 'measure', bench: BENCH, metric: 'J2 bare submit server (parse, INSERT, NOTIFY, 201), submits/s (median round)', value: b.rps, unit: '/s',
          detail: `HTTP p50 ${b.p50} / p99 ${b.p99} ms; CPU µs/submit: node ${int(b.node)} + PostgreSQL backends ${int(b.pg)}`,
        },
        latRow('http', 'start', `J2 enqueue -> start (created_at -> started_at), ${feedName.http}, p50`),
        latRow('direct', 'start', `J2 enqueue -> start (created_at -> started_at), ${feedName.direct}, p50`),
        latRow('http', 'complete', `created_at -> completed_at, ${feedName.http}, p50`),
        latRow('direct', 'complete', `created_at -> completed_at, ${feedName.direct}, p50`),
        latRow('http', 'sendToStart', `client send -> started_at, ${feedName.http}, p50`),
        latRow('direct', 'sendToStart', `client send -> started_at, ${feedName.direct}, p50`),
        latRow('http', 'call', `the submit call's own time (request -> 201), ${feedName.http}, p50`),
        latRow('direct', 'call', `the INSERT+NOTIFY call's own time, ${feedName.direct}, p50`),
        {
          kind: 'measure', bench: BENCH, metric: 'latency rounds: jobs per feed', value: nJobs, unit: 'jobs',
          detail: `${ctx.options.rounds} rounds x ${int(LATENCY_SECONDS * LATENCY_RATE)} per feed, alternating; workers: the jobs.* defaults (4 x 5), each job a Deno process; informative`,
        },
      ];
    } finally {
      await owner.end({ timeout: 5 });
    }
  },
};
