// `client.jobs`: submit background jobs and follow them (API.md §11.2; docs/jobs.md). A
// signed-in user sees, cancels and retries the jobs they submitted (another user's job is
// NOT_FOUND); the service role and admins see all. `admin` deploys job functions and reads
// the whole queue. Fixes upstream's mismatches: `scheduledAt` is sent as `scheduled_at`,
// `list` is typed as the server's `{jobs, limit, offset}`.
import { FluxbaseError } from '../errors.ts';
import { objectResult } from '../result-shape.ts';
import type { FluxbaseResult, Transport } from '../transport.ts';
import { JobsAdminClient } from './admin-client.ts';
import { jobListResult, listQuery } from './job-list.ts';
import type {
  Job, JobList, JobLogs, JobProgress, JobStatus, ListJobsOptions, SubmitJobOptions, WaitForJobOptions,
} from './types.ts';

const PATH = '/api/v1/jobs';
const jobPath = (id: string) => `${PATH}/${encodeURIComponent(id)}`;

/** Statuses a job does not leave by itself (`interrupted` jobs are claimed again). */
const FINAL: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled']);

const iso = (when: Date | string): string => (when instanceof Date ? when.toISOString() : when);

/** The submit body: the SDK's camelCase options in the server's snake_case. */
function submitBody(jobName: string, payload: object | undefined, o: SubmitJobOptions): Record<string, unknown> {
  const when = o.scheduledAt ?? o.scheduled;
  const body: Record<string, unknown> = { job_name: jobName };
  if (payload !== undefined) body.payload = payload;
  if (o.namespace !== undefined) body.namespace = o.namespace;
  if (o.priority !== undefined) body.priority = o.priority;
  if (when !== undefined) body.scheduled_at = iso(when);
  if (o.maxRetries !== undefined) body.max_retries = o.maxRetries;
  if (o.timeoutSeconds !== undefined) body.timeout_seconds = o.timeoutSeconds;
  if (o.onBehalfOf !== undefined) {
    const b = o.onBehalfOf;
    body.on_behalf_of = { user_id: b.userId, ...(b.userRole === undefined ? {} : { user_role: b.userRole }), ...(b.userEmail === undefined ? {} : { user_email: b.userEmail }) };
  }
  return body;
}

export function isFinalJobStatus(status: JobStatus): boolean {
  return FINAL.has(status);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export class JobsClient {
  /** Job functions and the whole queue (a service_role key or an admin user). */
  readonly admin: JobsAdminClient;
  private readonly transport: Transport;

  /** Built by createClient. */
  constructor(transport: Transport) {
    this.transport = transport;
    this.admin = new JobsAdminClient(transport);
  }

  /**
   * Queue a run of job function `jobName` with `payload` (a JSON object, the job's
   * `ctx.payload` and request body): 201 with the pending job. Errors: NOT_FOUND (no such
   * function), FUNCTION_DISABLED, INSUFFICIENT_PERMISSIONS (its `require_roles`, or
   * `onBehalfOf` without the service role), AUTHENTICATION_REQUIRED (anonymous), VALIDATION_FAILED.
   */
  submit<Result = unknown, Payload extends object = Record<string, unknown>>(
    jobName: string, payload?: Payload, options: SubmitJobOptions = {},
  ): Promise<FluxbaseResult<Job<Result, Payload>>> {
    return objectResult(this.transport('POST', `${PATH}/submit`, { body: submitBody(jobName, payload, options) }), 'a job');
  }

  /** The job with its result, progress and ETA; another user's job is NOT_FOUND. */
  get<Result = unknown>(id: string): Promise<FluxbaseResult<Job<Result>>> {
    return objectResult(this.transport('GET', jobPath(id)), 'a job');
  }

  /** Your jobs (everyone's for the service role and admins), newest first, without payloads. */
  list<Result = unknown>(options: ListJobsOptions = {}): Promise<FluxbaseResult<JobList<Result>>> {
    return jobListResult(this.transport('GET', PATH, { query: listQuery(options) }));
  }

  /** Stop a pending or running job (from any instance): the job, now `cancelled`; CONFLICT (409) once it has ended. */
  cancel(id: string): Promise<FluxbaseResult<Job>> {
    return objectResult(this.transport('POST', `${jobPath(id)}/cancel`, { body: {} }), 'a job');
  }

  /** Run a failed or cancelled job again: the job, `pending` with `retry_count + 1`; CONFLICT (409) otherwise. */
  retry(id: string): Promise<FluxbaseResult<Job>> {
    return objectResult(this.transport('POST', `${jobPath(id)}/retry`, { body: {} }), 'a job');
  }

  /** Percent, message, data and ETA of the last progress report. */
  getProgress(id: string): Promise<FluxbaseResult<JobProgress>> {
    return objectResult(this.transport('GET', `${jobPath(id)}/progress`), 'a progress report');
  }

  /** Captured log lines (stdout `info`, stderr `error`), after line `afterLine` when given. */
  getLogs(id: string, afterLine?: number): Promise<FluxbaseResult<JobLogs>> {
    return objectResult(this.transport('GET', `${jobPath(id)}/logs`, { query: { after_line: afterLine } }), 'a log list');
  }

  /**
   * Poll `get` until the job is completed, failed or cancelled, and return it (a failed job
   * is `data` with `status: 'failed'` and `error_message`, not an `error`). `error` is
   * TIMEOUT after `timeoutMs`, ABORTED on `signal`, or what `get` answered.
   */
  async wait<Result = unknown>(id: string, options: WaitForJobOptions = {}): Promise<FluxbaseResult<Job<Result>>> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let interval = options.intervalMs ?? 250;
    for (;;) {
      if (options.signal?.aborted) return { data: null, error: new FluxbaseError({ status: 0, code: 'ABORTED', error: 'Request aborted', message: `Stopped waiting for job ${id}` }) };
      const res = await this.get<Result>(id);
      if (res.error || FINAL.has(res.data.status)) return res;
      if (Date.now() + interval > deadline) {
        return { data: null, error: new FluxbaseError({ status: 0, code: 'TIMEOUT', error: 'Request timed out', message: `Job ${id} still ${res.data.status}` }) };
      }
      await sleep(interval, options.signal);
      interval = Math.min(interval * 1.5, 5000);
    }
  }
}
