// Wire shapes of the job routes (API.md §11.2): jobs as the server sends them, what a submit,
// a list and a wait take, and the admin shapes (job functions, sync, workers, stats). Types only.

/**
 * `pending → running → completed | failed | cancelled`. `interrupted`: the worker shut down
 * before the job finished; it is claimable again (without spending a retry). A failed attempt
 * with retries left goes back to `pending`, so `failed` is final.
 */
export type JobStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

/** A job (API.md §11.2 "Job"). Times are RFC 3339 strings; `payload`, `result` and `progress` are JSON values. */
export interface Job<Result = unknown, Payload = Record<string, unknown>> {
  id: string;
  namespace: string;
  job_function_id: string | null;
  job_name: string;
  status: JobStatus;
  /** `null` in lists (which leave it out). */
  payload: Payload | null;
  /** What the job returned; `null` until it completes, and in lists without `includeResult`. */
  result: Result | null;
  progress: unknown;
  /** 0-100; 100 once completed. */
  progress_percent: number | null;
  progress_message: string | null;
  progress_data: unknown;
  /** Higher runs first. */
  priority: number;
  max_retries: number;
  retry_count: number;
  max_duration_seconds: number;
  error_message: string | null;
  worker_id: string | null;
  /** The submitting user (or the `onBehalfOf` user); `null` for the service role. */
  created_by: string | null;
  user_role: string | null;
  created_at: string;
  scheduled_at: string;
  started_at: string | null;
  last_progress_at: string | null;
  completed_at: string | null;
  /** While running with progress reported: (100 − p) ÷ (p ÷ elapsed) seconds. */
  estimated_seconds_left: number | null;
  estimated_completion_at: string | null;
}

/** `jobs.list`: the server's page, not a bare array (upstream's SDK typed it as `Job[]`). */
export interface JobList<Result = unknown> {
  /** Newest first, without their payload (`payload: null`). */
  jobs: Job<Result>[];
  limit: number;
  offset: number;
}

/** `GET /api/v1/jobs/:id/progress`. */
export interface JobProgress {
  job_id: string;
  status: JobStatus;
  progress_percent: number | null;
  progress_message: string | null;
  progress_data: unknown;
  estimated_seconds_left: number | null;
  estimated_completion_at: string | null;
  last_progress_at: string | null;
}

/** One captured line of the job's stdout (`info`) or stderr (`error`). */
export interface JobLog {
  line_number: number;
  level: string;
  message: string;
  timestamp: string;
}

export interface JobLogs {
  logs: JobLog[];
  count: number;
}

export interface SubmitJobOptions {
  /** The job function's namespace. Default: the first function of that name. */
  namespace?: string;
  /** 0-1000, higher runs first. Default: 0. */
  priority?: number;
  /** Run no earlier than this (at most a year ahead). Default: now. */
  scheduledAt?: Date | string;
  /** Upstream's name for `scheduledAt`. */
  scheduled?: Date | string;
  /** Retries after a failed attempt, with backoff. Default: the function's `max_retries`. */
  maxRetries?: number;
  /** Seconds before an attempt is stopped. Default: the function's `timeout_seconds`. */
  timeoutSeconds?: number;
  /** Submit as this user (service role or admin only): the job is theirs to see and runs with their identity. Default: the caller. */
  onBehalfOf?: { userId: string; userRole?: string; userEmail?: string };
}

export interface ListJobsOptions {
  status?: JobStatus;
  jobName?: string;
  namespace?: string;
  /** 1-1000. Default: 50. */
  limit?: number;
  /** Default: 0. */
  offset?: number;
  /** Fill `result` (left out by default to keep lists small). Default: false. */
  includeResult?: boolean;
}

export interface WaitForJobOptions {
  /** Give up after this many milliseconds (error code TIMEOUT). Default: 60000. */
  timeoutMs?: number;
  /** First polling interval, growing ×1.5 up to 5 s. Default: 250. */
  intervalMs?: number;
  /** Stop waiting (error code ABORTED). */
  signal?: AbortSignal;
}

// ---- admin -------------------------------------------------------------------------------

/** Settings of a job function (deploy, update, sync). */
export interface JobFunctionSettings {
  description?: string | null;
  /** Default: true. */
  enabled?: boolean;
  /** Cron expression (5 or 6 fields, or a nickname such as `@daily`): the scheduler submits the job. Default: none. */
  schedule?: string | null;
  /** Default: `jobs.default_max_retries` (3). */
  max_retries?: number;
  /** Default: `jobs.default_timeout` (300). */
  timeout_seconds?: number;
  /** Fail the job when it reports no progress this long. Default: `jobs.progress_timeout` (300). */
  progress_timeout_seconds?: number | null;
  /** Default: 256. */
  memory_limit_mb?: number;
  /** Default: true; without it the job can still reach this server. */
  allow_net?: boolean;
  /** Names of server environment variables the job may read. Default: none. */
  allow_env?: string[];
  /** Default: false. */
  allow_read?: boolean;
  /** Default: false. */
  allow_write?: boolean;
  /** Roles that may submit it (anon < authenticated < admin < service_role). Default: any signed-in caller. */
  require_roles?: string[] | null;
}

export interface JobFunctionDeploy extends JobFunctionSettings {
  name: string;
  /** TypeScript or JavaScript module: `export default (req, ctx) => value`, or upstream's `handler` / `main`. */
  code: string;
  /** Default: `default`. */
  namespace?: string;
}

export type JobFunctionUpdate = Partial<Omit<JobFunctionDeploy, 'name' | 'namespace'>>;

export interface JobFunction extends Required<Omit<JobFunctionSettings, 'description'>> {
  id: string;
  namespace: string;
  name: string;
  description: string | null;
  code: string;
  /** Grows by one when the code changes. */
  version: number;
  source: 'api' | 'filesystem';
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface JobSyncRequest {
  /** Default: `default`. */
  namespace?: string;
  jobs: Array<Omit<JobFunctionDeploy, 'namespace'> & { original_code?: string; is_bundled?: boolean }>;
  /** `delete_missing`: delete the namespace's other functions; `dry_run`: report only. Defaults: false. */
  options?: { delete_missing?: boolean; dry_run?: boolean };
}

export interface JobSyncResult {
  message: string;
  namespace: string;
  summary: { created: number; updated: number; unchanged: number; deleted: number; errors: number };
  details: { created: string[]; updated: string[]; unchanged: string[]; deleted: string[] };
  /** Functions whose code did not pass the type check; they were not stored. */
  errors: { job: string; error: string }[];
  dry_run: boolean;
}

export interface JobWorker {
  id: string;
  hostname: string;
  pid: number;
  status: 'active' | 'draining' | 'stopped';
  capacity: number;
  current_jobs: number;
  started_at: string;
  last_heartbeat_at: string;
  stopped_at: string | null;
}

export interface JobStats {
  total_jobs: number;
  pending_jobs: number;
  running_jobs: number;
  completed_jobs: number;
  failed_jobs: number;
  cancelled_jobs: number;
  interrupted_jobs: number;
  /** Completed jobs of the last day. */
  avg_duration_seconds: number | null;
  jobs_by_status: { status: string; count: number }[];
  jobs_by_function: { namespace: string; job_name: string; count: number }[];
}

export interface JobFunctionListOptions {
  namespace?: string;
}
