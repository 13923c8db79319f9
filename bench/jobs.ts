// The jobs benchmark (group `jobs`; README "Jobs").
//   jobs-drain  J1 of issue 14: drain BENCH_JOBS (20,000) no-op jobs, CONCURRENCY in flight, our
//               JobWorker vs graphile-worker 0.17 and pg-boss 10 on the same database, every
//               handler in process, every side with a pool of POOL_SIZE connections. Each round
//               enqueues the jobs in bulk for a side (not timed), times from starting its workers
//               until the database says all are completed, and checks that every job ran exactly
//               once; the order of the sides rotates from round to round. Goals: ≥ 100% of
//               graphile-worker's jobs/s and ≥ 200% of pg-boss's.
//   jobs-submit J2 of issue 14: POST /api/v1/jobs/submit on the real server (its own process) vs a
//               bare INSERT+NOTIFY server, and enqueue → start latency p50/p99 (lib/jobs-submit.ts).
//               `serve` below starts J2's sides (lib/serve.ts imports this file).
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations, migrateUp } from '../packages/server/src/db/index.ts';
import {
  fluxbaseSide, graphileSide, pgbossSide, type DrainResult, type JobSide, type JobSideName, type JobWorkerClass, type SideConfig,
} from './lib/jobs-sides.ts';
import { jobsSubmit, submitServe } from './lib/jobs-submit.ts';
import { backendCpu, backendCpuDelta } from './lib/rt-load.ts';
import type { Benchmark, LoadStats, Row, ServeMap } from './lib/types.ts';

const GROUP = 'jobs';
/** Jobs per side per round (BENCH_JOBS; record figures with the default). */
const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
/** Jobs in flight at once, every side (BENCH_JOBS_CONCURRENCY). */
const CONCURRENCY = Number(process.env.BENCH_JOBS_CONCURRENCY ?? 10);
/** Pool size of every side: the jobs in flight plus two (claims/heartbeats beside the completions). */
const POOL_SIZE = CONCURRENCY + 2;
/** Informative: also pg-boss with one worker fetching CONCURRENCY jobs per batch (BENCH_JOBS_PGBOSS_BATCH=1). */
const PGBOSS_BATCH = process.env.BENCH_JOBS_PGBOSS_BATCH === '1';
/**
 * Analysis only: path of another build's jobs/index.ts (e.g. a patched copy of packages/server/src);
 * its JobWorker runs as a fourth side, "Fluxbase A/B", in the same rounds (README "Jobs").
 */
const AB_MODULE = process.env.BENCH_JOBS_AB;
const GRAPHILE_GOAL = 1.0;
const PGBOSS_GOAL = 2.0;
/** Unmeasured jobs per side before the rounds (when --warmup > 0). */
const WARMUP_JOBS = Math.min(2_000, JOBS);

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Round extends DrainResult {
  /** CPU µs per job: [the runner process (the side's workers and handlers), the database's backends]. */
  cpu: [number, number];
}

const jobsDrain: Benchmark = {
  name: 'jobs-drain',
  group: GROUP,
  description: `J1 drain ${JOBS} no-op jobs, ${CONCURRENCY} in flight: JobWorker vs graphile-worker (>= ${GRAPHILE_GOAL * 100}%) and pg-boss (>= ${PGBOSS_GOAL * 100}%)`,
  needsDatabase: true,
  async run(ctx) {
    const url = ctx.serve!.databaseUrl;
    const database = new URL(url).pathname.slice(1);
    const owner = postgres(url, { max: 1, onnotice: () => {} });
    await migrateUp(owner, loadMigrations(DEFAULT_MIGRATIONS_DIR));
    const config: SideConfig = { databaseUrl: url, concurrency: CONCURRENCY, poolSize: POOL_SIZE };
    const sides: JobSide[] = [];
    try {
      sides.push(await fluxbaseSide(config), await graphileSide(config), await pgbossSide(config, false));
      if (PGBOSS_BATCH) sides.push(await pgbossSide(config, true));
      if (AB_MODULE) {
        const mod = (await import(path.resolve(AB_MODULE))) as { JobWorker: JobWorkerClass };
        sides.push(await fluxbaseSide(config, { Worker: mod.JobWorker, label: `Fluxbase A/B (${AB_MODULE})` }));
      }
      ctx.log(`jobs-drain: ${int(JOBS)} jobs per side per round, ${CONCURRENCY} in flight, pools of ${POOL_SIZE}; sides: ${sides.map((s) => s.label).join(', ')}`);

      const once = async (side: JobSide, n: number): Promise<Round> => {
        await side.enqueue(n);
        await owner`checkpoint`;
        const pg0 = backendCpu(database);
        const cpu0 = process.cpuUsage();
        const r = await side.drain(n);
        const cpu = process.cpuUsage(cpu0);
        const pg1 = backendCpu(database);
        await side.clean();
        if (r.twice + r.never > 0 || r.completedInDb !== n || r.leftover) {
          throw new Error(`${side.label}: ${r.never} jobs never ran, ${r.twice} ran more than once, ${r.completedInDb} completed in the database of ${n}${r.leftover ? `, left: ${r.leftover}` : ''}`);
        }
        return { ...r, cpu: [(cpu.user + cpu.system) / n, backendCpuDelta(pg0, pg1) / n] };
      };

      if (ctx.options.warmupSec > 0) {
        for (const side of sides) await once(side, WARMUP_JOBS);
        ctx.log(`jobs-drain: warm-up done (${int(WARMUP_JOBS)} jobs per side)`);
      }
      const rounds = new Map<JobSideName, Round[]>();
      for (let i = 0; i < ctx.options.rounds; i++) {
        // Rotate the order: fluxbase, graphile, pgboss / graphile, pgboss, fluxbase / …
        const order = sides.map((_, k) => (k + i) % sides.length);
        const line: string[] = [];
        for (const k of order) {
          const side = sides[k]!;
          const r = await once(side, JOBS);
          const list = rounds.get(side.name) ?? [];
          list.push(r);
          rounds.set(side.name, list);
          line.push(`${side.label} ${int(r.jobsPerSec)}/s (${int(r.ms)} ms, last handler at ${int(r.handledMs)} ms; CPU µs/job node ${int(r.cpu[0])} + backends ${int(r.cpu[1])})`);
        }
        ctx.log(`jobs-drain round ${i + 1}: ${line.join('; ')}`);
      }

      const ours = rounds.get('fluxbase')!;
      const stats = (rs: Round[]): LoadStats => ({
        rps: median(rs.map((r) => r.jobsPerSec)), p50: 0, p99: 0, requests: JOBS * rs.length, non2xx: 0, errors: 0,
        cpuUs: median(rs.map((r) => r.cpu[0] + r.cpu[1])),
      });
      const perRound = (rs: Round[]) => rs.map((r) => int(r.jobsPerSec)).join(', ');
      const roundRatios = (base: Round[]) => ours.map((r, i) => pct(r.jobsPerSec / base[i]!.jobsPerSec)).join(', ');
      const rows: Row[] = [];
      for (const [name, label, goal] of [['graphile', 'graphile-worker', GRAPHILE_GOAL], ['pgboss', 'pg-boss', PGBOSS_GOAL]] as const) {
        const base = rounds.get(name)!;
        const b = stats(base);
        const f = stats(ours);
        rows.push({
          kind: 'compare', bench: 'jobs-drain', what: `J1 jobs/s vs ${label}, ${int(JOBS)} no-op jobs, ${CONCURRENCY} in flight; CPU: runner + backends`,
          baseline: b, fluxbase: f, ratio: f.rps / b.rps, goal,
        });
        rows.push({
          kind: 'measure', bench: 'jobs-drain', metric: `ours / ${label}, per round`, value: (f.rps / b.rps) * 100, unit: '%',
          detail: `rounds: ours ${perRound(ours)} jobs/s; ${label} ${perRound(base)} jobs/s; ratios ${roundRatios(base)}; informative`,
        });
      }
      const batch = rounds.get('pgboss-batch');
      if (batch) {
        rows.push({
          kind: 'measure', bench: 'jobs-drain', metric: `pg-boss, 1 worker with batchSize ${CONCURRENCY} (median jobs/s)`, value: median(batch.map((r) => r.jobsPerSec)), unit: 'jobs/s',
          detail: `rounds ${perRound(batch)}; ours / it ${pct(median(ours.map((r) => r.jobsPerSec)) / median(batch.map((r) => r.jobsPerSec)))}; informative`,
        });
      }
      const ab = rounds.get('fluxbase-ab');
      if (ab) {
        rows.push({
          kind: 'measure', bench: 'jobs-drain', metric: 'A/B build / this build (median jobs/s)', value: (median(ab.map((r) => r.jobsPerSec)) / median(ours.map((r) => r.jobsPerSec))) * 100, unit: '%',
          detail: `A/B ${perRound(ab)} jobs/s; this build ${perRound(ours)}; A/B / graphile-worker ${pct(median(ab.map((r) => r.jobsPerSec)) / stats(rounds.get('graphile')!).rps)}, ` +
            `A/B / pg-boss ${pct(median(ab.map((r) => r.jobsPerSec)) / stats(rounds.get('pgboss')!).rps)}; analysis only`,
        });
      }
      rows.push({
        kind: 'measure', bench: 'jobs-drain', metric: 'CPU per job, median round: runner process + PostgreSQL backends', value: median(ours.map((r) => r.cpu[0] + r.cpu[1])), unit: 'µs',
        detail: [...rounds].map(([name, rs]) => `${name} ${int(median(rs.map((r) => r.cpu[0])))} + ${int(median(rs.map((r) => r.cpu[1])))}`).join('; ') +
          `; ${os.cpus().length} cores; informative`,
      });
      return rows;
    } finally {
      for (const s of sides) await s.close().catch((err: unknown) => ctx.log(`jobs-drain: closing ${s.label}: ${String(err)}`));
      await owner.end({ timeout: 5 });
    }
  },
};

/** J2's sides, started in their own processes by lib/child.ts startSide('jobs', …). */
export const serve: ServeMap = submitServe;

export const benchmarks: Benchmark[] = [jobsDrain, jobsSubmit];
