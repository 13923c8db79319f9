// The three sides of J1 (`jobs-drain`, README "Jobs"), all in the runner process, one at a time:
// our JobWorker, graphile-worker and pg-boss on the same bench database, each with a no-op
// in-process handler, the same number of jobs in flight and a pool of the same size. Each side
// enqueues its jobs in bulk before the clock starts (`enqueue`), then `drain` starts its workers,
// waits until every job has run, then until the database says every one is completed, and stops
// the workers (not timed). The handler of every side records the job's number (payload `i`), so
// a job run twice or never shows up in `runs`.
import { performance } from 'node:perf_hooks';
import { Logger as GraphileLogger, makeWorkerUtils, run as graphileRun, runMigrations as graphileMigrations, type Runner } from 'graphile-worker';
import PgBoss from 'pg-boss';
import pg from 'pg';
import postgres from 'postgres';
import { createPool, type Pool } from '../../packages/server/src/db/index.ts';
import { JobWorker, type JobProgram, type JobRuntime } from '../../packages/server/src/jobs/index.ts';
import { createLogger } from '../../packages/server/src/observability/index.ts';

export type JobSideName = 'fluxbase' | 'graphile' | 'pgboss' | 'pgboss-batch' | 'fluxbase-ab';

/** The JobWorker class (ours, or another build's for BENCH_JOBS_AB). */
export type JobWorkerClass = typeof JobWorker;

export interface DrainResult {
  /** Start of the workers → the database says all N are completed. */
  ms: number;
  /** Start → the N-th handler call (informative: the rest is the last completions landing). */
  handledMs: number;
  jobsPerSec: number;
  /** Handler calls per job number: jobs run more than once, and never. */
  twice: number;
  never: number;
  /** The side's own count of completed jobs, from the database. */
  completedInDb: number;
  /** Anything else its tables still hold for this round (pending, failed, …). */
  leftover: string;
}

export interface JobSide {
  name: JobSideName;
  label: string;
  /** Puts `n` no-op jobs (payload {i}, i = 1…n) in the queue and ANALYZEs its table (fresh statistics for every side); not timed. */
  enqueue(n: number): Promise<void>;
  /** Starts the workers, times until all `n` are completed, stops them. */
  drain(n: number): Promise<DrainResult>;
  /** Removes this round's rows; not timed. */
  clean(): Promise<void>;
  close(): Promise<void>;
}

export interface SideConfig {
  databaseUrl: string;
  /** Jobs in flight at once, the same for every side. */
  concurrency: number;
  /** Pool size, the same for every side. */
  poolSize: number;
}

const TASK = 'bench_noop';
const POLL_DB_MS = 2;
const DRAIN_TIMEOUT_MS = 600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts handler calls per job number and resolves once `n` distinct jobs ran. */
class Tally {
  runs: Uint8Array = new Uint8Array(1);
  private distinct = 0;
  private target = 0;
  private resolveAll: (() => void) | undefined;
  private t0 = 0;
  handledAt = 0;
  reset(n: number, t0: number): Promise<void> {
    this.runs = new Uint8Array(n + 1);
    this.distinct = 0;
    this.target = n;
    this.t0 = t0;
    this.handledAt = 0;
    return new Promise((resolve) => (this.resolveAll = resolve));
  }
  hit(payload: unknown): void {
    const i = (payload as { i?: unknown } | null)?.i;
    if (typeof i !== 'number' || i < 1 || i >= this.runs.length) throw new Error(`unexpected job payload ${JSON.stringify(payload)}`);
    if (this.runs[i]! < 255) this.runs[i]!++;
    if (this.runs[i] === 1 && ++this.distinct === this.target) {
      this.handledAt = performance.now() - this.t0;
      this.resolveAll?.();
    }
  }
  counts(): { twice: number; never: number } {
    let twice = 0;
    let never = 0;
    for (let i = 1; i < this.runs.length; i++) {
      if (this.runs[i] === 0) never++;
      else if (this.runs[i]! > 1) twice++;
    }
    return { twice, never };
  }
}

/** Polls `done()` every POLL_DB_MS until it is true. */
async function until(done: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(POLL_DB_MS);
  }
}

async function timedDrain(
  tally: Tally, n: number, start: () => Promise<void>, completed: () => Promise<number>, stop: () => Promise<void>, what: string,
): Promise<{ ms: number; handledMs: number; completedInDb: number }> {
  const t0 = performance.now();
  const all = tally.reset(n, t0);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: only part of ${n} jobs ran within ${DRAIN_TIMEOUT_MS} ms`)), DRAIN_TIMEOUT_MS)));
  try {
    await start();
    await Promise.race([all, late]);
    let inDb = 0;
    await until(async () => (inDb = await completed()) >= n, `${what}: ${n} completed rows`);
    const ms = performance.now() - t0;
    return { ms, handledMs: tally.handledAt, completedInDb: inDb };
  } finally {
    clearTimeout(timer);
    await stop();
  }
}

const result = (n: number, r: { ms: number; handledMs: number; completedInDb: number }, tally: Tally, leftover: string): DrainResult => ({
  ms: r.ms, handledMs: r.handledMs, jobsPerSec: (n * 1000) / r.ms, ...tally.counts(), completedInDb: r.completedInDb, leftover,
});

// ---------------------------------------------------------------- ours

const NOOP_RESPONSE = { status: 200, headers: [['content-type', 'application/json']] as [string, string][], body: Buffer.from('null') };
const PROGRAM: JobProgram = { code: 'export default () => null;', memoryMb: 128, maxOutputBytes: 50 << 20 };

/**
 * Our JobWorker as the server runs it (the jobs.* defaults where they apply: poll 1 s, heartbeat
 * 10 s, worker timeout 30 s, backoff 10 s … 1 h), `run` through the server's own pool
 * (db/pool.ts createPool → withConnection, as app.ts wires it), one worker of `concurrency`
 * capacity, an in-process runtime whose `invoke` answers at once.
 */
export async function fluxbaseSide(c: SideConfig, ab?: { Worker: JobWorkerClass; label: string }): Promise<JobSide> {
  const Worker = ab?.Worker ?? JobWorker;
  const tally = new Tally();
  const runtime: JobRuntime = {
    invoke: async (input) => {
      tally.hit(input.context?.payload);
      return NOOP_RESPONSE;
    },
  };
  const pool: Pool = createPool({
    url: c.databaseUrl, max: c.poolSize, min: c.poolSize, statementTimeoutMs: 30_000, connectTimeoutMs: 10_000, poolWaitTimeoutMs: 30_000,
    applicationName: 'fluxbase-bench-jobs',
  });
  await pool.warm();
  // LISTEN takes its own connection (postgres.js opens one per listening client), as in the server.
  const listener = postgres(c.databaseUrl, { max: 1, onnotice: () => {} });
  const logger = createLogger({ level: 'warn', format: 'json' });
  const sql = pool.sql;
  return {
    name: ab ? 'fluxbase-ab' : 'fluxbase',
    label: ab ? ab.label : 'Fluxbase JobWorker',
    async enqueue(n) {
      await sql`
        insert into jobs.queue (namespace, job_name, payload, priority, max_retries, max_duration_seconds, user_role)
        select 'default', ${TASK}, pg_catalog.jsonb_build_object('i', g), 0, 3, 300, 'service_role' from generate_series(1, ${n}::int) g`;
      await sql`analyze jobs.queue`;
    },
    async drain(n) {
      const worker = new Worker({
        run: (fn) => pool.withConnection(fn),
        runtime, logger,
        resolve: async () => PROGRAM,
        capacity: c.concurrency, pollMs: 1_000, heartbeatMs: 10_000, workerTimeoutMs: 30_000, gracefulShutdownMs: 300_000,
        requeueInterrupted: true, backoffBaseMs: 10_000, backoffMaxMs: 3_600_000,
      });
      const r = await timedDrain(
        tally, n, () => worker.start(listener),
        async () => (await sql<[{ n: number }]>`select count(*)::int as n from jobs.queue where job_name = ${TASK} and status = 'completed'`)[0].n,
        () => worker.stop(), 'fluxbase',
      );
      const rest = await sql<{ status: string; n: number }[]>`select status, count(*)::int as n from jobs.queue where job_name = ${TASK} and status <> 'completed' group by 1`;
      return result(n, r, tally, rest.map((x) => `${x.status} ${x.n}`).join(', '));
    },
    async clean() {
      await sql`delete from jobs.queue where job_name = ${TASK}`;
      await sql`delete from jobs.workers`;
      await sql`vacuum (analyze) jobs.queue`;
    },
    async close() {
      await listener.end({ timeout: 5 });
      await pool.close();
    },
  };
}

// ---------------------------------------------------------------- graphile-worker

/**
 * graphile-worker 0.17 with its defaults (one job fetched per get_job, completed as it ends:
 * no local queue, no batched completions; LISTEN/NOTIFY with a 2 s poll fallback), `concurrency`
 * jobs at once, a node-postgres pool of `poolSize`. Its migrations run at setup, so `run()` at the
 * clock's start only checks them. Completed jobs are deleted, so "completed" = the rows gone.
 */
export async function graphileSide(c: SideConfig): Promise<JobSide> {
  const tally = new Tally();
  const pgPool = new pg.Pool({ connectionString: c.databaseUrl, max: c.poolSize });
  // graphile-worker checks that both handlers are there (an idle client's error must not crash the process).
  pgPool.on('error', () => {});
  pgPool.on('connect', (client) => client.on('error', () => {}));
  const logger = new GraphileLogger(() => (level, message) => {
    if (level === 'error') process.stderr.write(`[graphile-worker] ${message}\n`);
  });
  await graphileMigrations({ pgPool, logger });
  const utils = await makeWorkerUtils({ pgPool, logger });
  let total = 0;
  const remaining = async () => Number((await pgPool.query<{ n: string }>(`select count(*) as n from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = $1`, [TASK])).rows[0]!.n);
  return {
    name: 'graphile',
    label: 'graphile-worker 0.17.3',
    async enqueue(n) {
      const CHUNK = 5_000;
      for (let a = 1; a <= n; a += CHUNK) {
        const specs = Array.from({ length: Math.min(CHUNK, n - a + 1) }, (_, k) => ({ identifier: TASK, payload: { i: a + k } }));
        await utils.addJobs(specs);
      }
      await pgPool.query(`analyze graphile_worker._private_jobs`);
      total = await remaining();
      if (total !== n) throw new Error(`graphile-worker: ${total} jobs queued, expected ${n}`);
    },
    async drain(n) {
      let runner: Runner | undefined;
      const r = await timedDrain(
        tally, n,
        async () => {
          runner = await graphileRun({
            pgPool, logger, concurrency: c.concurrency, noHandleSignals: true,
            taskList: { [TASK]: async (payload) => void tally.hit(payload) },
          });
        },
        async () => total - (await remaining()),
        async () => void (await runner?.stop()),
        'graphile-worker',
      );
      const left = await pgPool.query<{ n: string; failed: string }>(
        `select count(*) as n, count(*) filter (where last_error is not null) as failed from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = $1`, [TASK]);
      const row = left.rows[0]!;
      return result(n, r, tally, Number(row.n) > 0 ? `${row.n} rows left (${row.failed} with an error)` : '');
    },
    async clean() {
      await pgPool.query(`delete from graphile_worker._private_jobs`);
      await pgPool.query(`vacuum (analyze) graphile_worker._private_jobs, graphile_worker._private_job_queues`);
    },
    async close() {
      await utils.release();
      await pgPool.end();
    },
  };
}

// ---------------------------------------------------------------- pg-boss

/**
 * pg-boss 10 (queue policy `standard`, its defaults otherwise; `max` = poolSize): `concurrency`
 * workers (`boss.work()` each, batchSize 1, so `concurrency` jobs in flight, each fetched and
 * completed on its own), or with `batch` one worker fetching `concurrency` jobs at a time and
 * completing them together. pg-boss 10's worker loop waits out the polling interval (≥ 0.5 s)
 * after every fetch, even one that found jobs, unless `notifyWorker(id)` was called meanwhile;
 * its handlers call that when their fetch came back full, so a worker fetches again at once
 * while the queue has jobs (without it, 10 in flight cap pg-boss at 10 / 0.5 s = 20 jobs/s).
 */
export async function pgbossSide(c: SideConfig, batch: boolean): Promise<JobSide> {
  const tally = new Tally();
  const queue = batch ? `${TASK}_batch` : TASK;
  const boss = new PgBoss({ connectionString: c.databaseUrl, max: c.poolSize, schedule: false });
  boss.on('error', (err: Error) => process.stderr.write(`[pg-boss] ${err.message}\n`));
  await boss.start();
  await boss.createQueue(queue);
  const direct = postgres(c.databaseUrl, { max: 1, onnotice: () => {} });
  const states = async () => direct<{ state: string; n: number }[]>`select state::text, count(*)::int as n from pgboss.job where name = ${queue} group by 1`;
  return {
    name: batch ? 'pgboss-batch' : 'pgboss',
    label: batch ? `pg-boss 10.4.2 (1 worker, batchSize ${c.concurrency})` : 'pg-boss 10.4.2',
    async enqueue(n) {
      const CHUNK = 5_000;
      for (let a = 1; a <= n; a += CHUNK) {
        await boss.insert(Array.from({ length: Math.min(CHUNK, n - a + 1) }, (_, k) => ({ name: queue, data: { i: a + k } })));
      }
      await direct`analyze pgboss.job`;
    },
    async drain(n) {
      const ids: string[] = [];
      const size = batch ? c.concurrency : 1;
      const r = await timedDrain(
        tally, n,
        async () => {
          for (let w = 0; w < (batch ? 1 : c.concurrency); w++) {
            const slot = w;
            ids.push(await boss.work<{ i: number }>(queue, { batchSize: size, pollingIntervalSeconds: 0.5 }, async (jobs) => {
              if (jobs.length === size && ids[slot]) boss.notifyWorker(ids[slot]!);
              if (batch) await Promise.all(jobs.map(async (j) => tally.hit(j.data)));
              else tally.hit(jobs[0]!.data);
            }));
          }
        },
        async () => (await states()).find((s) => s.state === 'completed')?.n ?? 0,
        async () => {
          await boss.offWork(queue);
          await sleep(600); // offWork does not wait for the loops to end; they stop after their current fetch
        },
        'pg-boss',
      );
      const rest = (await states()).filter((s) => s.state !== 'completed');
      return result(n, r, tally, rest.map((x) => `${x.state} ${x.n}`).join(', '));
    },
    async clean() {
      await direct`delete from pgboss.job where name = ${queue}`;
      await direct.unsafe(`vacuum (analyze) pgboss.job`);
    },
    async close() {
      await direct.end({ timeout: 5 });
      await boss.stop({ graceful: true, wait: true, timeout: 5_000 });
    },
  };
}
