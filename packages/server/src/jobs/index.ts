// Jobs (docs/jobs.md; API.md §11.2): the queue in PostgreSQL, the workers that run job code on
// the functions runtime (passed in by app.ts: subsystems do not import each other), the cron
// scheduler (one leader per database), the routes, live logs for realtime, asynchronous RPC
// and the metrics. app.ts builds it, registers its routes and calls start, drain and stop.
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import { inTransaction, type Database } from '../db/index.ts';
import { signJwt, type Principal } from '../http/index.ts';
import type { Logger, Metrics, Tracing } from '../observability/index.ts';
import { CronScheduler, type CronEntry } from './cron-scheduler.ts';
import { findJobFunctionById, findJobFunction, scheduledJobFunctions, type JobFunctionRow } from './function-store.ts';
import { deleteOldJobs, queueDepth } from './job-store.ts';
import { JobLogStream } from './log-stream.ts';
import { createJobMetrics } from './metrics.ts';
import { submitJob, type JobRow, type Queryable } from './queue-store.ts';
import { registerJobsAdminFunction } from './routes/admin-function.ts';
import { registerJobsAdminFunctions } from './routes/admin-functions.ts';
import { registerJobsAdminQueue } from './routes/admin-queue.ts';
import { registerJobsAdminSync } from './routes/admin-sync.ts';
import { registerJobsAdminWorkers } from './routes/admin-workers.ts';
import { registerJobsCancel } from './routes/cancel.ts';
import { registerJobsGet } from './routes/get.ts';
import { registerJobsList } from './routes/list.ts';
import { registerJobsLogs } from './routes/logs.ts';
import { registerJobsProgress } from './routes/progress.ts';
import { registerJobsRetry } from './routes/retry.ts';
import { registerJobsSubmit } from './routes/submit.ts';
import { JobsService, type Caller } from './service.ts';
import { JobWorker, type JobExecutor, type JobProgram, type JobRuntime } from './worker.ts';
import { AsyncRpc, type RpcRunner } from './async-rpc.ts';

export * from './queue-store.ts';
export { JobWorker, type JobExecutor, type JobOutcome, type JobProgram, type JobRuntime, type JobWorkerOptions } from './worker.ts';
export { JobsService, type Caller } from './service.ts';
export { JobLogStream } from './log-stream.ts';
export { CronScheduler, type CronEntry, type CronSchedulerOptions, type CronTickResult } from './cron-scheduler.ts';
export { LeaderLock, SCHEDULER_LOCK_KEY, LEADER_APPLICATION_NAME } from './leader.ts';
export { JobOutput, PROGRESS_MARK, parseProgress } from './job-output.ts';
export { AsyncRpc, type RpcCall, type RpcRunner, type RpcExecution } from './async-rpc.ts';

/** A job function file of jobs.dir, as the functions folder loader reads it (functions/source). */
export interface FolderJob {
  name: string;
  namespace?: string | undefined;
  file: string;
  code: string;
  hasLocalImports: boolean;
  fields: Record<string, unknown>;
}

export interface JobsDeps {
  config: Config;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  /** Runs job code (the functions runtime, cold: one process per attempt). */
  runtime: JobRuntime;
  /** Spans for job executions, linked to their submitters (docs/tracing.md); absent: none. */
  tracing?: Tracing | undefined;
  /** Type-checks a module at deploy (the functions runtime's check). */
  check?: (code: string) => Promise<{ ok: true } | { ok: false; message: string }>;
  /** Reads jobs.dir (the functions folder loader: same layout and `@fluxbase:` annotations). */
  loadFolder?: (dir: string) => Promise<{ functions: FolderJob[]; errors: { file: string; error: string }[] }>;
  /** Bundles an entry with local imports. */
  bundle?: (file: string) => Promise<{ ok: true; code: string } | { ok: false; message: string }>;
  /** Runs an asynchronous RPC call (the REST subsystem's executor). */
  rpc?: RpcRunner;
  /** Runs an edge function on its schedule (the functions service, trigger `cron`). */
  runFunction?: (namespace: string, name: string, payload: unknown) => Promise<unknown>;
  /** The secrets of a namespace (the functions secret store: FLUXBASE_SECRET_<NAME>, context.secrets). */
  secretsOf?: (namespace: string) => Promise<Record<string, string>>;
  /** Edge functions with a cron_schedule (the scheduler's other entries). */
  scheduledFunctions?: () => Promise<{ namespace: string; name: string; cron_schedule: string }[]>;
  /** Where job code reaches this server (FLUXBASE_URL): its listening address. */
  internalUrl: () => string;
  now?: () => number;
}

export interface Jobs {
  service: JobsService;
  workers: JobWorker[];
  scheduler: CronScheduler<JobCronEntry> | undefined;
  logs: JobLogStream;
  asyncRpc: AsyncRpc;
  register(app: FastifyInstance): void;
  /** Deploys jobs.dir, then starts the workers and the scheduler. */
  start(): Promise<void>;
  /** Graceful shutdown (hardening 3.3): hands the scheduler over, stops claiming, waits for running jobs (jobs.graceful_shutdown_timeout), interrupts the rest. HTTP keeps serving meanwhile. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export interface JobCronEntry extends CronEntry {
  kind: 'job' | 'function';
  namespace: string;
  name: string;
}

const SYSTEM: Caller = { principal: { kind: 'service_role', role: 'service_role', claims: { role: 'service_role' }, userId: null } as Principal, isAdmin: true };
const SYNC_LOCK = 'fluxbase_jobs_folder_sync';
/** Finished jobs and their logs are kept this many days. */
const RETENTION_DAYS = 30;
const CLEANUP_INTERVAL_MS = 60 * 60_000;

export function createJobs(deps: JobsDeps): Jobs {
  const { config, db, logger } = deps;
  const jc = config.jobs;
  const now = deps.now ?? Date.now;
  const run = <T>(fn: (sql: Queryable) => Promise<T>) => db.pool.withConnection(fn);
  const transaction = <T>(fn: (sql: Queryable) => Promise<T>) => db.pool.withConnection((conn) => inTransaction(conn, fn));
  const tracing = deps.tracing?.enabled ? deps.tracing : undefined;
  const traceparent = tracing ? (requestId?: string) => tracing.traceparent(requestId) : undefined;
  const service = new JobsService({
    run, transaction, ...(traceparent ? { traceparent } : {}), defaults: { maxRetries: jc.default_max_retries, timeoutSeconds: Math.round(jc.default_timeout / 1000) }, now,
    ...(deps.check ? { check: deps.check } : {}),
  });
  const workers: JobWorker[] = [];
  const metrics = createJobMetrics(deps.metrics.registry, {
    depth: () => run((sql) => queueDepth(sql)),
    workers: () => workers.map((w) => ({ active: w.active, busy: w.busy, capacity: w.capacity })),
    now,
  });
  const asyncRpc = new AsyncRpc({ run, ...(traceparent ? { traceparent } : {}) });

  /** A job's program: its function's code, grants and limits, and execution-scoped tokens. */
  async function resolve(job: JobRow): Promise<JobProgram | null> {
    const fn = (job.job_function_id ? await run((sql) => findJobFunctionById(sql, job.job_function_id!)) : undefined)
      ?? await run((sql) => findJobFunction(sql, job.job_name, job.namespace));
    if (!fn) return null;
    const secrets = deps.secretsOf ? await deps.secretsOf(fn.namespace) : {};
    return programOf(fn, job, secrets);
  }

  function programOf(fn: JobFunctionRow, job: JobRow, secrets: Record<string, string>): JobProgram {
    const secret = config.auth.jwt_secret;
    const iat = Math.floor(now() / 1000);
    const exp = iat + job.max_duration_seconds + 60;
    // A user's job acts as that user (RLS applies); a service-role or scheduled job has no user.
    const role = job.created_by ? 'authenticated' : 'service_role';
    const userToken = signJwt({ iss: 'fluxbase', iat, exp, role, execution_id: job.id, ...(job.created_by ? { sub: job.created_by } : {}) }, secret);
    const serviceToken = signJwt({ iss: 'fluxbase', iat, exp, role: 'service_role', execution_id: job.id, job: `${job.namespace}/${job.job_name}` }, secret);
    const url = deps.internalUrl();
    const env: Record<string, string> = {
      FLUXBASE_URL: url, FLUXBASE_USER_TOKEN: userToken, FLUXBASE_SERVICE_TOKEN: serviceToken,
      FLUXBASE_EXECUTION_ID: job.id, FLUXBASE_JOB_ID: job.id, FLUXBASE_JOB_NAME: job.job_name, FLUXBASE_JOB_NAMESPACE: job.namespace,
    };
    for (const [k, v] of Object.entries(secrets)) env[`FLUXBASE_SECRET_${k.toUpperCase()}`] = v;
    for (const k of fn.allow_env) if (process.env[k] !== undefined && !(k in env)) env[k] = process.env[k]!;
    // Without the network a job can still reach this server (its SDK clients).
    const net: boolean | string[] = fn.allow_net ? true : [new URL(url).host];
    return {
      code: fn.code, memoryMb: fn.memory_limit_mb, maxOutputBytes: jc.max_output_size, env,
      permissions: { net, env: Object.keys(env), read: fn.allow_read, write: fn.allow_write },
      context: { user: job.created_by ? { id: job.created_by, role: job.user_role } : null, execution_id: job.id, secrets },
      ...(fn.progress_timeout_seconds !== null ? { progressTimeoutMs: fn.progress_timeout_seconds * 1000 } : {}),
    };
  }

  const executors: Partial<Record<'rpc' | 'function', JobExecutor>> = {};
  if (deps.rpc) executors.rpc = (job) => asyncRpc.execute(deps.rpc!, job);
  if (deps.runFunction) executors.function = (job) => deps.runFunction!(job.namespace, job.job_name, job.payload);

  for (let i = 0; i < jc.worker_count; i++) {
    workers.push(new JobWorker({
      run, runtime: deps.runtime, logger, resolve, executors, capacity: jc.concurrency_per_worker,
      pollMs: jc.poll_interval, heartbeatMs: jc.heartbeat_interval, workerTimeoutMs: jc.worker_timeout,
      gracefulShutdownMs: jc.graceful_shutdown_timeout, requeueInterrupted: jc.requeue_interrupted,
      backoffBaseMs: jc.retry_backoff_base, backoffMaxMs: jc.retry_backoff_max, progressTimeoutMs: jc.progress_timeout,
      cancelGraceMs: jc.cancel_grace_period, onOutcome: (o) => metrics.record(o), now, tracing,
    }));
  }

  const scheduler = jc.enabled ? new CronScheduler<JobCronEntry>({
    transaction,
    logger,
    now,
    leader: { url: db.url, connectTimeoutMs: config.database.connect_timeout },
    listEntries: async () => {
      const jobs = await run((sql) => scheduledJobFunctions(sql));
      const fns = deps.scheduledFunctions ? await deps.scheduledFunctions() : [];
      return [
        ...jobs.map((j) => ({ key: `job:${j.namespace}/${j.name}`, expression: j.schedule!, kind: 'job' as const, namespace: j.namespace, name: j.name })),
        ...fns.map((f) => ({ key: `function:${f.namespace}/${f.name}`, expression: f.cron_schedule, kind: 'function' as const, namespace: f.namespace, name: f.name })),
      ];
    },
    // A scheduled run is a job, enqueued in the transaction that claims the occurrence: it runs
    // once even across a leader change, on whichever instance has a free worker.
    fire: async (entry, fireAt, tx) => {
      if (entry.kind === 'job') {
        const fn = await findJobFunction(tx, entry.name, entry.namespace);
        if (!fn || !fn.enabled) return;
        await submitJob(tx, {
          namespace: fn.namespace, job_name: fn.name, job_function_id: fn.id, payload: { _trigger: 'cron', _scheduled_at: fireAt.toISOString() },
          priority: 0, max_retries: fn.max_retries, max_duration_seconds: fn.timeout_seconds, created_by: null, user_role: 'service_role',
        });
      } else {
        await submitJob(tx, {
          namespace: entry.namespace, job_name: entry.name, kind: 'function', job_function_id: null, payload: { _trigger: 'cron', _scheduled_at: fireAt.toISOString() },
          priority: 0, max_retries: 0, max_duration_seconds: Math.round(config.functions.default_timeout / 1000) + 60, created_by: null, user_role: 'service_role',
        });
      }
    },
  }) : undefined;

  const logs = new JobLogStream({ listener: db.admin, run, logger });

  async function loadFolder(): Promise<void> {
    if (!deps.loadFolder) return;
    const dir = path.resolve(jc.dir);
    const folder = await deps.loadFolder(dir);
    const problems = [...folder.errors];
    const byNamespace = new Map<string, { name: string; code: string; [k: string]: unknown }[]>();
    for (const f of folder.functions) {
      let code = f.code;
      if (f.hasLocalImports && deps.bundle) {
        const bundled = await deps.bundle(f.file);
        if (!bundled.ok) {
          problems.push({ file: f.file, error: `could not bundle: ${bundled.message}` });
          continue;
        }
        code = bundled.code;
      }
      const ns = f.namespace ?? 'default';
      const list = byNamespace.get(ns) ?? [];
      list.push({ name: f.name, code, ...fieldsFromAnnotations(f.fields) });
      byNamespace.set(ns, list);
    }
    if (!byNamespace.has('default')) byNamespace.set('default', []);
    await db.pool.withConnection(async (lock) => {
      await lock`select pg_advisory_lock(hashtext(${SYNC_LOCK}))`;
      try {
        for (const [namespace, jobs] of byNamespace) {
          const result = await service.sync(SYSTEM, { namespace, jobs: jobs as never, options: { delete_missing: true } }, 'filesystem', 'filesystem');
          for (const e of result.errors) problems.push({ file: e.job, error: e.error });
          const loaded = result.summary.created + result.summary.updated + result.summary.unchanged;
          if (loaded > 0 || result.summary.deleted > 0) logger.info({ namespace, ...result.summary, dir }, 'jobs: deployed jobs.dir');
        }
      } finally {
        await lock`select pg_advisory_unlock(hashtext(${SYNC_LOCK}))`;
      }
    });
    if (problems.length > 0) logger.warn({ errors: problems, dir }, 'jobs: some files in jobs.dir could not be deployed');
  }

  let cleanup: NodeJS.Timeout | undefined;
  let drained: Promise<void> | undefined;
  return {
    service, workers, scheduler, logs, asyncRpc,
    register(app) {
      if (!jc.enabled) return;
      const routeDeps = { service, now };
      for (const register of [
        registerJobsSubmit, registerJobsList, registerJobsGet, registerJobsProgress, registerJobsCancel, registerJobsRetry, registerJobsLogs,
        registerJobsAdminFunctions, registerJobsAdminFunction, registerJobsAdminQueue, registerJobsAdminWorkers, registerJobsAdminSync,
      ]) register(app, routeDeps);
    },
    async start() {
      if (!jc.enabled) return;
      await loadFolder().catch((err: unknown) => logger.error({ err }, 'jobs: could not deploy jobs.dir'));
      for (const w of workers) {
        await w.start(db.admin).catch((err: unknown) => logger.error({ err, worker: w.id }, 'jobs: a worker could not register; it retries on its next poll'));
      }
      await scheduler?.start();
      cleanup = setInterval(() => {
        run((sql) => deleteOldJobs(sql, RETENTION_DAYS)).catch((err: unknown) => logger.warn({ err }, 'jobs: cleanup of finished jobs failed'));
      }, CLEANUP_INTERVAL_MS);
      cleanup.unref();
    },
    drain() {
      drained ??= (async () => {
        if (cleanup) clearInterval(cleanup);
        await scheduler?.stop().catch((err: unknown) => logger.warn({ err }, 'jobs: stopping the scheduler failed'));
        const busy = workers.reduce((a, w) => a + w.busy, 0);
        if (busy > 0) logger.info({ running: busy, timeout_ms: jc.graceful_shutdown_timeout }, 'jobs: draining: waiting for running jobs to finish');
        await Promise.all(workers.map((w) => w.stop()));
      })();
      return drained;
    },
    async stop() {
      await this.drain();
      await logs.close();
    },
  };
}

/** jobs.dir annotations (the functions loader's names) → job function fields. */
function fieldsFromAnnotations(a: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const copy = ['description', 'enabled', 'timeout_seconds', 'memory_limit_mb', 'allow_net', 'allow_read', 'allow_write', 'max_retries', 'progress_timeout_seconds', 'require_roles'];
  for (const k of copy) if (a[k] !== undefined) out[k] = a[k];
  if (a.cron_schedule !== undefined) out.schedule = a.cron_schedule;
  if (Array.isArray(a.allow_env)) out.allow_env = a.allow_env;
  return out;
}
