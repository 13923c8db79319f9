// Asynchronous RPC (API.md §6): `async: true` on POST /api/v1/rpc/:namespace/:fn queues the
// call as a job of kind `rpc` (the caller's role and claims in its payload) and answers its id;
// a worker runs it with the REST subsystem's executor (passed in as an RpcRunner) and stores
// {result, rows_returned, duration_ms}; /api/v1/rpc/executions/:id reads it back. Calls are
// not retried (a function may not be idempotent) and are the caller's: its owner, an admin or
// the service role may read them, others get 404.
import { AppError } from '../http/index.ts';
import { readLogs } from './job-store.ts';
import { findJob, submitJob, type JobRow, type Queryable } from './queue-store.ts';

/** One call, as queued: what the executor needs to run it as the caller did. */
export interface RpcCall {
  schema: string;
  name: string;
  params: unknown;
  role: string;
  claims: Record<string, unknown>;
  /** The caller's user id, or '' for a service principal. */
  sub: string;
}

export type RpcRunner = (call: RpcCall, executionId: string) => Promise<{ result: unknown; rows_returned: number; duration_ms: number }>;

export interface RpcExecution {
  execution_id: string;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout';
  result?: unknown;
  error?: string;
  rows_returned?: number;
  duration_ms?: number;
  created_at: Date;
  completed_at?: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class AsyncRpc {
  constructor(private readonly o: { run<T>(fn: (sql: Queryable) => Promise<T>): Promise<T>; traceparent?: (requestId?: string) => string | undefined }) {}

  /** Queues the call; the caller must be a user or the service role (an anonymous call would have no owner to read it). */
  async enqueue(call: RpcCall, owner: { userId: string | null; role: string; anonymous: boolean }, timeoutSeconds: number, requestId?: string): Promise<string> {
    if (owner.anonymous) {
      throw new AppError('AUTHENTICATION_REQUIRED', { message: 'An asynchronous call needs a signed-in user or the service role, who can then read its result', hint: 'Call without async, or send a user\'s token' });
    }
    const traceparent = this.o.traceparent?.(requestId); // the request's span, not the statement's inside run()
    const row = await this.o.run((sql) => submitJob(sql, {
      namespace: call.schema, job_name: call.name, kind: 'rpc', job_function_id: null, payload: call, priority: 0,
      max_retries: 0, max_duration_seconds: Math.max(1, timeoutSeconds), created_by: owner.userId, user_role: owner.role,
      traceparent,
    }));
    return row.id;
  }

  /** Runs a queued call (the worker's executor for kind `rpc`). */
  async execute(runner: RpcRunner, job: JobRow): Promise<unknown> {
    return runner(job.payload as RpcCall, job.id);
  }

  async get(id: string, who: { userId: string | null; isAdmin: boolean }): Promise<RpcExecution> {
    const job = await this.visible(id, who);
    const out = (job.result ?? {}) as { result?: unknown; rows_returned?: number; duration_ms?: number };
    const status: RpcExecution['status'] = job.status === 'interrupted' ? 'pending'
      : job.status === 'failed' && /statement timeout|timeout/i.test(job.error_message ?? '') ? 'timeout'
      : job.status;
    return {
      execution_id: job.id, status,
      ...(job.status === 'completed' ? { result: out.result ?? null, rows_returned: out.rows_returned ?? 0, duration_ms: out.duration_ms ?? 0 } : {}),
      ...(job.error_message && job.status !== 'completed' && job.status !== 'pending' ? { error: job.error_message } : {}),
      created_at: job.created_at,
      ...(job.completed_at ? { completed_at: job.completed_at } : {}),
    };
  }

  async logs(id: string, who: { userId: string | null; isAdmin: boolean }, afterLine: number) {
    const job = await this.visible(id, who);
    const rows = await this.o.run((sql) => readLogs(sql, job.id, afterLine, 1000));
    const entries = rows.map((r) => ({ line_number: r.line_number, level: r.level, message: r.message, timestamp: r.created_at }));
    return { entries, logs: entries, count: entries.length };
  }

  private async visible(id: string, who: { userId: string | null; isAdmin: boolean }): Promise<JobRow> {
    const job = UUID.test(id) ? await this.o.run((sql) => findJob(sql, id)) : undefined;
    if (!job || job.kind !== 'rpc' || (!who.isAdmin && (who.userId === null || job.created_by !== who.userId))) {
      throw new AppError('NOT_FOUND', { message: `Execution ${id} not found`, details: { resource: 'execution' } });
    }
    return job;
  }
}
