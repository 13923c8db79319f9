// The job queue's SQL (migrations/014_jobs.up.sql; API.md §11.2): submit, claim, finish,
// fail with backoff, cancel, retry, heartbeats and the recovery of a dead worker's jobs. One
// function per hot operation; values are always parameters. Status changes are guarded by
// the status they expect, so a late finish never overwrites a cancel, and a worker that lost
// its job (requeued after a missed heartbeat) cannot finish it either.
import type postgres from 'postgres';

export type Queryable = postgres.Sql | postgres.TransactionSql | postgres.ReservedSql;

/** Notified (empty payload) when a job becomes claimable now. */
export const JOBS_CHANNEL = 'fluxbase_jobs';

export type JobKind = 'job' | 'rpc' | 'function';
export type JobStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

export interface JobRow {
  id: string;
  namespace: string;
  job_function_id: string | null;
  job_name: string;
  kind: JobKind;
  status: JobStatus;
  payload: unknown;
  result: unknown;
  progress: unknown;
  progress_percent: number | null;
  progress_message: string | null;
  progress_data: unknown;
  priority: number;
  max_retries: number;
  retry_count: number;
  max_duration_seconds: number;
  error_message: string | null;
  worker_id: string | null;
  created_by: string | null;
  user_role: string | null;
  cancel_requested_at: Date | null;
  created_at: Date;
  scheduled_at: Date;
  started_at: Date | null;
  last_progress_at: Date | null;
  completed_at: Date | null;
  /** The submitter's W3C traceparent when tracing was on (docs/tracing.md); internal, not in the Job JSON. */
  traceparent?: string | null;
}

export interface NewJob {
  namespace: string;
  job_name: string;
  /** Default 'job'. */
  kind?: JobKind;
  job_function_id: string | null;
  payload: unknown;
  priority: number;
  /** Absent: now. */
  scheduled_at?: Date | undefined;
  max_retries: number;
  max_duration_seconds: number;
  created_by: string | null;
  user_role: string | null;
  /** The submitting request's traceparent (tracing on); absent: none. */
  traceparent?: string | null | undefined;
}

export async function submitJob(sql: Queryable, j: NewJob): Promise<JobRow> {
  const [row] = await sql<JobRow[]>`
    insert into jobs.queue (namespace, job_name, kind, job_function_id, payload, priority, scheduled_at, max_retries, max_duration_seconds, created_by, user_role, traceparent)
    values (${j.namespace}, ${j.job_name}, ${j.kind ?? 'job'}, ${j.job_function_id}, ${sql.json((j.payload ?? null) as never)}, ${j.priority},
            coalesce(${j.scheduled_at ?? null}::timestamptz, now()), ${j.max_retries}, ${j.max_duration_seconds}, ${j.created_by}, ${j.user_role}, ${j.traceparent ?? null})
    returning *`;
  if (row!.scheduled_at.getTime() <= Date.now()) await sql`select pg_catalog.pg_notify(${JOBS_CHANNEL}, '')`;
  return row!;
}

/**
 * Up to `limit` due jobs for `workerId`, highest priority first, then the earliest due:
 * pending ones, and interrupted ones when `requeueInterrupted` (jobs.requeue_interrupted; they
 * keep their retry count). SKIP LOCKED lets every worker on every instance claim side by side.
 */
export async function claimJobs(sql: Queryable, workerId: string, limit: number, requeueInterrupted: boolean): Promise<JobRow[]> {
  const statuses = requeueInterrupted ? ['pending', 'interrupted'] : ['pending'];
  return sql<JobRow[]>`
    with due as (
      select id from jobs.queue
      where status = any(${statuses}::text[]) and scheduled_at <= now()
      order by priority desc, scheduled_at
      limit ${limit}
      for update skip locked
    )
    update jobs.queue q set status = 'running', worker_id = ${workerId}, started_at = now(), last_progress_at = now(),
      error_message = null, completed_at = null
    from due where q.id = due.id
      -- A claim lost in a crash only leaves its jobs pending (they may run twice, as after a
      -- requeue): its commit need not wait for the WAL flush. The completion's commit flushes it.
      and pg_catalog.set_config('synchronous_commit', 'off', true) is not null
    returning q.*`;
}

/** The job ran to its end; false when it was no longer this worker's running job (cancelled, requeued). */
export async function completeJob(sql: Queryable, id: string, workerId: string, result: unknown): Promise<boolean> {
  const rows = await sql`
    update jobs.queue set status = 'completed', result = ${sql.json((result ?? null) as never)}, progress_percent = 100, completed_at = now()
    where id = ${id} and worker_id = ${workerId} and status = 'running'`;
  return rows.count > 0;
}

/**
 * Many finished jobs of one worker in one statement (the worker batches its completions);
 * returns the ids that were still this worker's running jobs (the others were cancelled or requeued).
 */
export async function completeJobs(sql: Queryable, workerId: string, done: { id: string; result: unknown }[]): Promise<Set<string>> {
  if (done.length === 0) return new Set();
  const ids = done.map((d) => d.id);
  const results = done.map((d) => JSON.stringify(d.result ?? null));
  const rows = await sql<{ id: string }[]>`
    update jobs.queue q set status = 'completed', result = d.result::jsonb, progress_percent = 100, completed_at = now()
    from unnest(${ids}::uuid[], ${results}::text[]) as d(id, result)
    where q.id = d.id and q.worker_id = ${workerId} and q.status = 'running'
    returning q.id`;
  return new Set(rows.map((r) => r.id));
}

/**
 * A failed attempt: back to `pending` after `retryInMs` with retry_count + 1 while retries
 * remain, else `failed` for good. Returns the new status, or null when the job was no longer
 * this worker's running job.
 */
export async function failJob(sql: Queryable, id: string, workerId: string, error: string, retryInMs: number): Promise<'pending' | 'failed' | null> {
  const [row] = await sql<{ status: 'pending' | 'failed' }[]>`
    update jobs.queue set
      status = case when retry_count < max_retries then 'pending' else 'failed' end,
      retry_count = case when retry_count < max_retries then retry_count + 1 else retry_count end,
      scheduled_at = case when retry_count < max_retries then now() + make_interval(secs => ${retryInMs / 1000}) else scheduled_at end,
      completed_at = case when retry_count < max_retries then null else now() end,
      worker_id = case when retry_count < max_retries then null else worker_id end,
      error_message = ${error}
    where id = ${id} and worker_id = ${workerId} and status = 'running'
    returning status`;
  return row?.status ?? null;
}

/** min(base × 2^retryCount, max) ± 20 % jitter (API.md §11.2). */
export function retryBackoffMs(retryCount: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const raw = Math.min(baseMs * 2 ** retryCount, maxMs);
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/** Cancels a pending, running or interrupted job (a running one is stopped by its worker); null when its status forbids it. */
export async function cancelJob(sql: Queryable, id: string): Promise<JobRow | null> {
  const [row] = await sql<JobRow[]>`
    update jobs.queue set status = 'cancelled', cancel_requested_at = now(), completed_at = now()
    where id = ${id} and status in ('pending', 'running', 'interrupted')
    returning *`;
  return row ?? null;
}

/** A failed, cancelled or interrupted job runs again (retry_count + 1); null when its status forbids it. */
export async function retryJob(sql: Queryable, id: string): Promise<JobRow | null> {
  const [row] = await sql<JobRow[]>`
    update jobs.queue set status = 'pending', retry_count = retry_count + 1, scheduled_at = now(), worker_id = null,
      cancel_requested_at = null, completed_at = null, error_message = null
    where id = ${id} and status in ('failed', 'cancelled', 'interrupted')
    returning *`;
  if (row) await sql`select pg_catalog.pg_notify(${JOBS_CHANNEL}, '')`;
  return row ?? null;
}

/**
 * A progress report (hardening 1.4): written by this worker even after the job was cancelled
 * (its last report before it stopped is kept), never over another worker's claim or a
 * finished job's 100.
 */
export async function saveProgress(sql: Queryable, id: string, workerId: string, p: { percent: number; message: string | null; data: unknown }): Promise<boolean> {
  const rows = await sql`
    update jobs.queue set progress_percent = ${p.percent}, progress_message = ${p.message}, progress_data = ${sql.json((p.data ?? null) as never)},
      progress = ${sql.json({ percent: p.percent, message: p.message, data: p.data ?? null } as never)}, last_progress_at = now()
    where id = ${id} and worker_id = ${workerId} and status in ('running', 'cancelled')`;
  return rows.count > 0;
}

/** Notified per log line: {execution_id, execution_type: "job", line_number, level, message, timestamp} (realtime subscribe_logs). */
export const JOB_LOGS_CHANNEL = 'fluxbase_job_logs';
/** NOTIFY payloads stay under PostgreSQL's 8,000 bytes: longer messages are cut in the live copy only. */
const LIVE_MESSAGE_CHARS = 2_000;

/** Appends a job's log lines (numbered by the worker) and announces each on JOB_LOGS_CHANNEL. */
export async function appendLogs(sql: Queryable, jobId: string, lines: { line_number: number; level: string; message: string; timestamp: Date }[]): Promise<void> {
  if (lines.length === 0) return;
  const rows = lines.map((l) => ({ job_id: jobId, line_number: l.line_number, level: l.level, message: l.message, created_at: l.timestamp }));
  await sql`insert into jobs.job_logs ${sql(rows)} on conflict do nothing`;
  const live = lines.map((l) => JSON.stringify({
    execution_id: jobId, execution_type: 'job', line_number: l.line_number, level: l.level,
    message: l.message.length > LIVE_MESSAGE_CHARS ? `${l.message.slice(0, LIVE_MESSAGE_CHARS)} [cut; the whole line is in the job's logs]` : l.message,
    timestamp: l.timestamp.toISOString(),
  }));
  await sql`select pg_catalog.pg_notify(${JOB_LOGS_CHANNEL}, x) from unnest(${live}::text[]) as x`;
}

export async function findJob(sql: Queryable, id: string): Promise<JobRow | undefined> {
  const [row] = await sql<JobRow[]>`select * from jobs.queue where id = ${id}`;
  return row;
}

// ---- workers ----

export async function registerWorker(sql: Queryable, w: { id: string; hostname: string; pid: number; capacity: number }): Promise<void> {
  await sql`
    insert into jobs.workers (id, hostname, pid, capacity) values (${w.id}, ${w.hostname}, ${w.pid}, ${w.capacity})
    on conflict (id) do update set status = 'active', last_heartbeat_at = now(), stopped_at = null`;
}

export async function heartbeat(sql: Queryable, workerId: string): Promise<void> {
  await sql`update jobs.workers set last_heartbeat_at = now() where id = ${workerId}`;
}

export async function setWorkerStatus(sql: Queryable, workerId: string, status: 'active' | 'draining' | 'stopped'): Promise<void> {
  await sql`update jobs.workers set status = ${status}, stopped_at = case when ${status} = 'stopped' then now() else null end where id = ${workerId}`;
}

/** Ids of running jobs whose cancel was requested, among `ids` (a worker polls its own). */
export async function cancelledAmong(sql: Queryable, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await sql<{ id: string }[]>`select id from jobs.queue where id = any(${ids}::uuid[]) and status = 'cancelled'`;
  return rows.map((r) => r.id);
}

/**
 * Graceful shutdown past jobs.graceful_shutdown_timeout: this worker's running jobs become
 * `interrupted` (claimable again without spending a retry while jobs.requeue_interrupted).
 */
export async function interruptWorkerJobs(sql: Queryable, workerId: string): Promise<number> {
  const rows = await sql`
    update jobs.queue set status = 'interrupted', worker_id = null, error_message = 'the worker shut down before the job finished'
    where worker_id = ${workerId} and status = 'running'`;
  if (rows.count > 0) await sql`select pg_catalog.pg_notify(${JOBS_CHANNEL}, '')`;
  return rows.count;
}

/**
 * Workers silent for `timeoutMs` (jobs.worker_timeout) are marked stopped and their running
 * jobs return to `pending` (at least once: a job may run twice if its worker was only slow).
 * Any instance runs this; it is idempotent. Returns the jobs requeued.
 */
export async function requeueStaleWorkers(sql: Queryable, timeoutMs: number): Promise<number> {
  const rows = await sql`
    with stale as (
      update jobs.workers set status = 'stopped', stopped_at = now()
      where status <> 'stopped' and last_heartbeat_at < now() - make_interval(secs => ${timeoutMs / 1000})
      returning id
    )
    update jobs.queue q set status = 'pending', worker_id = null, error_message = 'its worker stopped answering; requeued'
    from stale where q.worker_id = stale.id and q.status = 'running'`;
  if (rows.count > 0) await sql`select pg_catalog.pg_notify(${JOBS_CHANNEL}, '')`;
  return rows.count;
}
