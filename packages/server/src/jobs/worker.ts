// One job worker (API.md §11.2; WIP of issue 14): claims jobs from the queue (woken by NOTIFY,
// polling as a fallback), runs each on the FunctionRuntime it was given (the edge-function
// handler forms: the payload is the request's JSON body and `ctx.payload`), and records the
// outcome: completed with the handler's value, or failed and retried with backoff. It beats
// its heartbeat, recovers the jobs of workers that stopped beating, stops a job cancelled from
// any instance (polling its running jobs' rows), and on stop drains: no new claims, running
// jobs get jobs.graceful_shutdown_timeout, the rest become `interrupted`.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type postgres from 'postgres';
import type { Logger } from '../observability/index.ts';
import {
  cancelledAmong, claimJobs, completeJob, failJob, heartbeat, interruptWorkerJobs, JOBS_CHANNEL, registerWorker,
  requeueStaleWorkers, retryBackoffMs, setWorkerStatus, type JobRow, type Queryable,
} from './queue-store.ts';

/**
 * What the worker needs of the function runtime (functions/ implements it; app.ts passes it
 * in, as subsystems do not import each other). Failures throw an Error with a `reason`
 * (`cancelled` when the signal stopped it).
 */
export interface JobRuntime {
  invoke(input: {
    code: string;
    request: { method: string; url: string; headers: Record<string, string>; body?: string };
    env: Record<string, string>;
    permissions: { net: boolean | string[]; env: string[]; read: boolean; write: boolean };
    limits: { memoryMb: number; timeoutMs: number; maxOutputBytes: number };
    context?: Record<string, unknown>;
    signal?: AbortSignal;
  }): Promise<{ status: number; headers: [string, string][]; body: Buffer }>;
}

/** What a job runs: its function's code and limits. */
export interface JobProgram {
  code: string;
  memoryMb: number;
  maxOutputBytes: number;
}

export interface JobWorkerOptions {
  /** Runs a statement batch on a pooled connection (db.pool.withConnection in the app). */
  run<T>(fn: (sql: Queryable) => Promise<T>): Promise<T>;
  runtime: JobRuntime;
  logger: Logger;
  /** The job's program, or null when its function is gone (the job fails). */
  resolve(job: JobRow): Promise<JobProgram | null>;
  capacity: number;
  pollMs: number;
  heartbeatMs: number;
  workerTimeoutMs: number;
  gracefulShutdownMs: number;
  requeueInterrupted: boolean;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How often running jobs are checked for a cancel; default 1 s. */
  cancelPollMs?: number;
  workerId?: string;
}

export class JobWorker {
  readonly id: string;
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private stopped = true;
  private draining = false;
  private claiming: Promise<void> | undefined;
  private again = false;
  private timers: NodeJS.Timeout[] = [];
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly o: JobWorkerOptions) {
    this.id = o.workerId ?? randomUUID();
  }

  async start(listener?: postgres.Sql): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.o.run((sql) => registerWorker(sql, { id: this.id, hostname: os.hostname(), pid: process.pid, capacity: this.o.capacity }));
    if (listener) {
      const l = await listener.listen(JOBS_CHANNEL, () => this.wake(), () => this.wake()).catch((err: unknown) => {
        this.o.logger.warn({ err }, 'jobs: could not LISTEN; polling only');
        return undefined;
      });
      this.unlisten = l?.unlisten;
    }
    const every = (ms: number, fn: () => unknown) => {
      const t = setInterval(fn, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.o.pollMs, () => this.wake());
    every(this.o.heartbeatMs, () => void this.beat());
    every(this.o.cancelPollMs ?? 1_000, () => void this.checkCancels());
    this.wake();
  }

  /** Claims and starts what fits now (tests, and the NOTIFY/poll wake-ups). */
  wake(): Promise<void> {
    if (this.stopped || this.draining) return Promise.resolve();
    if (this.claiming) {
      this.again = true;
      return this.claiming;
    }
    this.claiming = this.claim()
      .catch((err: unknown) => this.o.logger.warn({ err }, 'jobs: queue unavailable; retrying'))
      .finally(() => {
        this.claiming = undefined;
        if (this.again) {
          this.again = false;
          void this.wake();
        }
      });
    return this.claiming;
  }

  /** Jobs running in this worker now. */
  get busy(): number {
    return this.running.size;
  }

  /**
   * Drains: stops claiming (status `draining`), lets running jobs finish for up to
   * gracefulShutdownMs, then marks the rest `interrupted` and stops their processes.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.draining = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.unlisten?.().catch(() => {});
    await this.claiming;
    await this.o.run((sql) => setWorkerStatus(sql, this.id, 'draining')).catch(() => {});
    const all = Promise.all([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.o.gracefulShutdownMs)));
    const outcome = await Promise.race([all.then(() => 'done' as const), late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      await this.o.run((sql) => interruptWorkerJobs(sql, this.id)).catch((err: unknown) => this.o.logger.error({ err }, 'jobs: could not mark interrupted jobs'));
      for (const r of this.running.values()) r.abort.abort();
      await all;
    }
    await this.o.run((sql) => setWorkerStatus(sql, this.id, 'stopped')).catch(() => {});
    this.stopped = true;
    this.draining = false;
  }

  private async claim(): Promise<void> {
    while (!this.stopped && !this.draining) {
      const free = this.o.capacity - this.running.size;
      if (free <= 0) return;
      const jobs = await this.o.run((sql) => claimJobs(sql, this.id, free, this.o.requeueInterrupted));
      if (jobs.length === 0) return;
      for (const job of jobs) this.begin(job);
    }
  }

  private begin(job: JobRow): void {
    const abort = new AbortController();
    const done = this.execute(job, abort.signal)
      .catch((err: unknown) => this.o.logger.error({ err, job: job.id }, 'jobs: recording a job outcome failed'))
      .finally(() => {
        this.running.delete(job.id);
        this.wake();
      });
    this.running.set(job.id, { abort, done });
  }

  private async execute(job: JobRow, signal: AbortSignal): Promise<void> {
    const program = await this.o.resolve(job);
    if (!program) {
      await this.o.run((sql) => failJob(sql, job.id, this.id, `job function "${job.namespace}/${job.job_name}" not found`, this.backoff(job)));
      return;
    }
    let result: Awaited<ReturnType<JobRuntime['invoke']>>;
    try {
      result = await this.o.runtime.invoke({
        code: program.code,
        request: { method: 'POST', url: `http://localhost/jobs/${encodeURIComponent(job.job_name)}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(job.payload ?? null) },
        env: {},
        permissions: { net: true, env: [], read: false, write: false },
        limits: { memoryMb: program.memoryMb, timeoutMs: job.max_duration_seconds * 1000, maxOutputBytes: program.maxOutputBytes },
        context: { payload: job.payload ?? null, job: { id: job.id, name: job.job_name, namespace: job.namespace, retry_count: job.retry_count } },
        signal,
      });
    } catch (err) {
      const e = err as Error & { reason?: string };
      if (e.reason === 'cancelled') return; // the row already says cancelled (or interrupted)
      await this.o.run((sql) => failJob(sql, job.id, this.id, e.message, this.backoff(job)));
      return;
    }
    if (result.status < 200 || result.status > 299) {
      await this.o.run((sql) => failJob(sql, job.id, this.id, `the job answered ${result.status}: ${result.body.toString('utf8').slice(0, 500)}`, this.backoff(job)));
      return;
    }
    const text = result.body.toString('utf8');
    const json = result.headers.some(([k, v]) => k.toLowerCase() === 'content-type' && v.includes('json'));
    let value: unknown = text;
    if (json) {
      try {
        value = JSON.parse(text);
      } catch {
        value = text;
      }
    }
    await this.o.run((sql) => completeJob(sql, job.id, this.id, value));
  }

  private backoff(job: JobRow): number {
    return retryBackoffMs(job.retry_count, this.o.backoffBaseMs, this.o.backoffMaxMs);
  }

  private async beat(): Promise<void> {
    try {
      await this.o.run((sql) => heartbeat(sql, this.id));
      const requeued = await this.o.run((sql) => requeueStaleWorkers(sql, this.o.workerTimeoutMs));
      if (requeued > 0) this.o.logger.warn({ requeued }, 'jobs: requeued the running jobs of workers that stopped answering');
    } catch (err) {
      this.o.logger.warn({ err }, 'jobs: heartbeat failed');
    }
  }

  /** A cancel from any instance marks the row; the job's process is stopped here. */
  private async checkCancels(): Promise<void> {
    const ids = [...this.running.keys()];
    if (ids.length === 0) return;
    const cancelled = await this.o.run((sql) => cancelledAmong(sql, ids)).catch(() => [] as string[]);
    for (const id of cancelled) this.running.get(id)?.abort.abort();
  }
}
