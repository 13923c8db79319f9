// The read side of the queue (API.md §11.2): listings with their filters (a user's own jobs,
// or everyone's for admins), log lines after a line number, workers and statistics.
import type { JobRow, JobStatus, Queryable } from './queue-store.ts';

export interface JobFilter {
  status?: JobStatus | undefined;
  job_name?: string | undefined;
  namespace?: string | undefined;
  /** Only this creator's jobs; absent: everyone's (admin). */
  createdBy?: string | undefined;
  includeResult: boolean;
  limit: number;
  offset: number;
}

/** Jobs newest first, without their payload (and without the result unless asked). */
export async function listJobs(sql: Queryable, f: JobFilter): Promise<JobRow[]> {
  const where = [sql`true`];
  if (f.status !== undefined) where.push(sql`status = ${f.status}`);
  if (f.job_name !== undefined) where.push(sql`job_name = ${f.job_name}`);
  if (f.namespace !== undefined) where.push(sql`namespace = ${f.namespace}`);
  if (f.createdBy !== undefined) where.push(sql`created_by = ${f.createdBy}`);
  const cond = where.reduce((a, b) => sql`${a} and ${b}`);
  return sql<JobRow[]>`
    select id, namespace, job_function_id, job_name, kind, status, null::jsonb as payload,
      ${f.includeResult ? sql`result` : sql`null::jsonb`} as result, progress, progress_percent, progress_message, progress_data,
      priority, max_retries, retry_count, max_duration_seconds, error_message, worker_id, created_by, user_role, cancel_requested_at,
      created_at, scheduled_at, started_at, last_progress_at, completed_at
    from jobs.queue where ${cond}
    order by created_at desc, id
    limit ${f.limit} offset ${f.offset}`;
}

export interface JobLogRow {
  line_number: number;
  level: string;
  message: string;
  created_at: Date;
}

export async function readLogs(sql: Queryable, jobId: string, afterLine: number, limit: number): Promise<JobLogRow[]> {
  return sql<JobLogRow[]>`
    select line_number, level, message, created_at from jobs.job_logs
    where job_id = ${jobId} and line_number > ${afterLine} order by line_number limit ${limit}`;
}

export interface WorkerRow {
  id: string;
  hostname: string;
  pid: number;
  status: 'active' | 'draining' | 'stopped';
  capacity: number;
  current_jobs: number;
  started_at: Date;
  last_heartbeat_at: Date;
  stopped_at: Date | null;
}

export async function listWorkers(sql: Queryable): Promise<WorkerRow[]> {
  return sql<WorkerRow[]>`
    select w.*, (select count(*)::int from jobs.queue q where q.worker_id = w.id and q.status = 'running') as current_jobs
    from jobs.workers w order by w.status = 'stopped', w.started_at desc limit 500`;
}

export interface JobStats {
  total_jobs: number;
  pending_jobs: number;
  running_jobs: number;
  completed_jobs: number;
  failed_jobs: number;
  cancelled_jobs: number;
  interrupted_jobs: number;
  avg_duration_seconds: number | null;
  jobs_by_status: { status: string; count: number }[];
  jobs_by_function: { namespace: string; job_name: string; count: number }[];
}

export async function jobStats(sql: Queryable): Promise<JobStats> {
  const byStatus = await sql<{ status: string; count: number }[]>`select status, count(*)::int as count from jobs.queue group by status order by status`;
  const [avg] = await sql<{ avg: number | null }[]>`
    select avg(extract(epoch from completed_at - started_at))::float8 as avg from jobs.queue
    where status = 'completed' and started_at is not null and completed_at > now() - interval '1 day'`;
  const byFunction = await sql<{ namespace: string; job_name: string; count: number }[]>`
    select namespace, job_name, count(*)::int as count from jobs.queue group by namespace, job_name order by count desc limit 100`;
  const count = (s: string) => byStatus.find((r) => r.status === s)?.count ?? 0;
  return {
    total_jobs: byStatus.reduce((a, r) => a + r.count, 0),
    pending_jobs: count('pending'), running_jobs: count('running'), completed_jobs: count('completed'),
    failed_jobs: count('failed'), cancelled_jobs: count('cancelled'), interrupted_jobs: count('interrupted'),
    avg_duration_seconds: avg?.avg ?? null,
    jobs_by_status: byStatus, jobs_by_function: byFunction,
  };
}

/** Jobs waiting to run, by namespace and priority (fluxbase_jobs_queue_depth). */
export async function queueDepth(sql: Queryable): Promise<{ namespace: string; priority: number; count: number }[]> {
  return sql`select namespace, priority, count(*)::int as count from jobs.queue where status in ('pending', 'interrupted') group by namespace, priority`;
}

/** Finished jobs (and their logs) older than `days` are removed. */
export async function deleteOldJobs(sql: Queryable, days: number): Promise<number> {
  const rows = await sql`
    delete from jobs.queue where id in (
      select id from jobs.queue where status in ('completed', 'failed', 'cancelled') and completed_at < now() - make_interval(days => ${days}) limit 10000)`;
  return rows.count;
}

/** Whether auth.users has this id (on_behalf_of). */
export async function userExists(sql: Queryable, id: string): Promise<boolean> {
  const [row] = await sql<{ ok: boolean }[]>`select exists (select 1 from auth.users where id = ${id}) as ok`;
  return row?.ok ?? false;
}
