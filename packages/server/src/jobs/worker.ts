// One job worker (API.md §11.2; docs/jobs.md): claims jobs from the queue (woken by NOTIFY,
// polling as a fallback), runs each on the FunctionRuntime it was given (job code: the
// payload is the request's JSON body and `ctx.payload`, plus the upstream forms of
// runtime/handler-source.ts) or on an executor for its kind (asynchronous RPC, scheduled edge
// functions), and records the outcome: completed with the handler's value, or failed and
// retried with backoff. It writes the job's log lines and progress as they come, beats its
// heartbeat, recovers the jobs of workers that stopped beating, stops a job cancelled from any
// instance (its code sees isCancelled() first, then the process is stopped after a grace
// period), fails a job silent past its progress timeout, and on stop drains: no new claims,
// running jobs get jobs.graceful_shutdown_timeout, the rest become `interrupted`.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type postgres from 'postgres';
import type { Logger, TraceSpan, Tracing } from '../observability/index.ts';
import { JobOutput, type ProgressReport } from './job-output.ts';
import {
  appendLogs, cancelledAmong, claimJobs, completeJobs, failJob, heartbeat, interruptWorkerJobs, JOBS_CHANNEL, registerWorker,
  requeueStaleWorkers, retryBackoffMs, saveProgress, setWorkerStatus, type JobKind, type JobRow, type Queryable,
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
    interrupt?: AbortSignal;
    onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  }): Promise<{ status: number; headers: [string, string][]; body: Buffer }>;
}

/** What a job runs: its function's code, limits and grants. */
export interface JobProgram {
  code: string;
  memoryMb: number;
  maxOutputBytes: number;
  env?: Record<string, string>;
  permissions?: { net: boolean | string[]; env: string[]; read: boolean; write: boolean };
  /** More context for the handler (e.g. `user`); `payload` and `job` are always set. */
  context?: Record<string, unknown>;
  /** The function's progress_timeout_seconds, in ms; default the worker's progressTimeoutMs. */
  progressTimeoutMs?: number;
}

/** Runs a job of a kind other than `job`; resolves with its result, throws to fail the attempt. */
export type JobExecutor = (job: JobRow, signal: AbortSignal) => Promise<unknown>;

/** How one attempt ended (metrics, tests). */
export interface JobOutcome {
  job: JobRow;
  /** `retrying`: failed, back to pending with backoff; `lost`: the row was no longer this worker's (requeued, cancelled). */
  status: 'completed' | 'failed' | 'retrying' | 'cancelled' | 'interrupted' | 'lost';
  /** Why it failed: exception, timeout, progress_timeout, exit, out_of_memory, invalid_response, not_found, error. */
  reason?: string;
  durationMs: number;
}

export interface JobWorkerOptions {
  /** Runs a statement batch on a pooled connection (db.pool.withConnection in the app). */
  run<T>(fn: (sql: Queryable) => Promise<T>): Promise<T>;
  runtime: JobRuntime;
  logger: Logger;
  /** The job's program, or null when its function is gone (the job fails). Asked for kind `job` only. */
  resolve(job: JobRow): Promise<JobProgram | null>;
  /** Executors of the other kinds (an absent one fails the job). */
  executors?: Partial<Record<Exclude<JobKind, 'job'>, JobExecutor>>;
  capacity: number;
  pollMs: number;
  heartbeatMs: number;
  workerTimeoutMs: number;
  gracefulShutdownMs: number;
  requeueInterrupted: boolean;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A running job with no progress for this long fails (jobs.progress_timeout); 0: never. */
  progressTimeoutMs?: number;
  /** After a cancel, how long the job's code may run on (seeing isCancelled()) before its process is stopped; default 5 s. */
  cancelGraceMs?: number;
  /** How often running jobs are checked for a cancel and for progress timeouts; default 1 s. */
  cancelPollMs?: number;
  /** Log lines kept per job (and at most JobProgram.maxOutputBytes of text); default 10,000. */
  maxLogLines?: number;
  /** Progress writes and log flushes get this long on their own (hardening 1.4); default 5 s. */
  writeTimeoutMs?: number;
  onOutcome?(outcome: JobOutcome): void;
  /** A span per attempt, in the submitter's trace, with progress as events (docs/tracing.md); absent or off: none. */
  tracing?: Tracing | undefined;
  workerId?: string;
  now?: () => number;
}

interface Running {
  job: JobRow;
  /** Stops the process (hard). */
  abort: AbortController;
  /** Tells the code it was cancelled (soft). */
  interrupt: AbortController;
  done: Promise<void>;
  lastProgressAt: number;
  progressTimeoutMs: number;
  /** Set when the worker itself gave up on the job (progress timeout). */
  stoppedFor?: 'progress_timeout';
  /** The attempt's span (tracing on). */
  span?: TraceSpan | undefined;
}

const LOG_FLUSH_MS = 200;
/** This process as the job spans name it (job.worker_name): host and pid, as jobs.workers records them. */
const WORKER_NAME = `${os.hostname()}:${process.pid}`;
/** What the runtime itself keeps of a job's output (its failure messages quote the tail). */
const RUNTIME_CAPTURE_BYTES = 64 * 1024;

export class JobWorker {
  readonly id: string;
  private readonly running = new Map<string, Running>();
  private stopped = true;
  private draining = false;
  private claiming: Promise<void> | undefined;
  private again = false;
  private timers: NodeJS.Timeout[] = [];
  private unlisten: (() => Promise<void>) | undefined;
  private readonly now: () => number;
  private readonly completions: Completions;

  constructor(private readonly o: JobWorkerOptions) {
    this.id = o.workerId ?? randomUUID();
    this.now = o.now ?? Date.now;
    this.completions = new Completions((done) => this.o.run((sql) => completeJobs(sql, this.id, done)));
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
    every(this.o.cancelPollMs ?? 1_000, () => void this.watch());
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

  get capacity(): number {
    return this.o.capacity;
  }

  /** Claiming (not stopped, not draining). */
  get active(): boolean {
    return !this.stopped && !this.draining;
  }

  /** Ids of the jobs running here now. */
  runningIds(): string[] {
    return [...this.running.keys()];
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
    // Cancels and progress timeouts are still watched while the running jobs finish.
    const watcher = setInterval(() => void this.watch(), this.o.cancelPollMs ?? 1_000);
    watcher.unref();
    const all = Promise.all([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.o.gracefulShutdownMs)));
    const outcome = await Promise.race([all.then(() => 'done' as const), late]);
    clearTimeout(timer);
    clearInterval(watcher);
    // Finished jobs whose completion is still queued are completed, not interrupted.
    await this.completions.flushed();
    if (outcome === 'late') {
      const ids = [...this.running.keys()];
      await this.o.run((sql) => interruptWorkerJobs(sql, this.id)).catch((err: unknown) => this.o.logger.error({ err }, 'jobs: could not mark interrupted jobs'));
      for (const r of this.running.values()) r.abort.abort();
      await all;
      this.o.logger.warn({ interrupted: ids.length }, 'jobs: graceful shutdown timeout reached; running jobs marked interrupted');
    }
    await this.completions.flushed();
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
    const r: Running = {
      job, abort: new AbortController(), interrupt: new AbortController(), done: Promise.resolve(),
      lastProgressAt: this.now(), progressTimeoutMs: this.o.progressTimeoutMs ?? 0,
    };
    this.running.set(job.id, r);
    const started = this.now();
    const tracing = this.o.tracing;
    const executed = tracing !== undefined && tracing.enabled ? this.traced(tracing, r) : this.execute(r);
    r.done = executed
      .then((o) => this.o.onOutcome?.({ job, ...o, durationMs: this.now() - started }))
      .catch((err: unknown) => this.o.logger.error({ err, job: job.id }, 'jobs: recording a job outcome failed'))
      .finally(() => {
        this.running.delete(job.id);
        this.wake();
      });
  }

  /** execute() inside the attempt's span: a child of the submitting request's (job.traceparent), else a new trace. */
  private traced(tracing: Tracing, r: Running): Promise<Omit<JobOutcome, 'job' | 'durationMs'>> {
    const { job } = r;
    const started = performance.now();
    const span = tracing.startSpan(`job ${job.namespace}/${job.job_name}`, {
      kind: 'consumer',
      parent: job.traceparent ?? null,
      attributes: {
        'job.id': job.id, 'job.name': job.job_name, 'job.namespace': job.namespace, 'job.kind': job.kind, 'job.priority': job.priority,
        'job.scheduled_at': job.scheduled_at.toISOString(), 'job.retry_count': job.retry_count,
        'job.worker_id': this.id, 'job.worker_name': WORKER_NAME,
      },
    });
    r.span = span;
    return tracing.withSpan(span, () => this.execute(r)).then((o) => {
      span.setAttributes({ 'job.status': o.status, 'job.reason': o.reason, 'job.duration_ms': Math.round(performance.now() - started) });
      if (o.status === 'failed' || o.status === 'retrying') span.fail(new Error(`job ${o.status}${o.reason ? `: ${o.reason}` : ''}`));
      span.end();
      return o;
    }, (err: unknown) => {
      span.setAttributes({ 'job.status': 'error', 'job.duration_ms': Math.round(performance.now() - started) });
      span.fail(err);
      span.end();
      throw err;
    });
  }

  private async execute(r: Running): Promise<Omit<JobOutcome, 'job' | 'durationMs'>> {
    const { job } = r;
    const fail = async (reason: string, message: string): Promise<Omit<JobOutcome, 'job' | 'durationMs'>> => {
      const status = await this.o.run((sql) => failJob(sql, job.id, this.id, message, this.backoff(job)));
      return { status: status === null ? 'lost' : status === 'pending' ? 'retrying' : 'failed', reason };
    };
    const finish = async (value: unknown): Promise<Omit<JobOutcome, 'job' | 'durationMs'>> => {
      // The code is done: its slot is free now, and the completion is written with the others
      // that finished meanwhile (stop() flushes them before it interrupts anything).
      this.running.delete(job.id);
      void this.wake();
      const done = await this.completions.add(job.id, value);
      return { status: done ? 'completed' : 'lost' };
    };
    if (job.kind !== 'job') {
      const executor = this.o.executors?.[job.kind];
      if (!executor) return fail('not_found', `no executor for ${job.kind} jobs on this instance`);
      try {
        return await finish(await executor(job, r.abort.signal));
      } catch (err) {
        if (r.abort.signal.aborted) return this.afterStop(r);
        return fail('error', (err as Error).message);
      }
    }
    const program = await this.o.resolve(job);
    if (!program) return fail('not_found', `job function "${job.namespace}/${job.job_name}" not found`);
    if (program.progressTimeoutMs !== undefined) r.progressTimeoutMs = program.progressTimeoutMs;
    const writer = new JobWrites(this.o, job.id, this.id, this.o.writeTimeoutMs ?? 5_000);
    const output = new JobOutput(this.o.maxLogLines ?? 10_000, program.maxOutputBytes, (p) => {
      r.lastProgressAt = this.now();
      writer.progress(p);
      r.span?.addEvent('progress', { 'job.progress.percent': p.percent, 'job.progress.message': p.message ?? undefined });
    });
    // Traced: the job's code continues this attempt's trace (Deno.env.get('TRACEPARENT'), its SDK clients).
    let env = program.env ?? {};
    let permissions = program.permissions ?? { net: true, env: [], read: false, write: false };
    if (r.span) {
      env = { ...env, TRACEPARENT: r.span.traceparent() };
      if (!permissions.env.includes('TRACEPARENT')) permissions = { ...permissions, env: [...permissions.env, 'TRACEPARENT'] };
    }
    const flusher = setInterval(() => writer.logs(output.take()), LOG_FLUSH_MS);
    flusher.unref();
    let result: Awaited<ReturnType<JobRuntime['invoke']>> | undefined;
    let failure: (Error & { reason?: string }) | undefined;
    try {
      result = await this.o.runtime.invoke({
        code: program.code,
        request: { method: 'POST', url: `http://localhost/jobs/${encodeURIComponent(job.job_name)}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(job.payload ?? null) },
        env,
        permissions,
        // The worker keeps the output itself (JobOutput); the runtime's copy only explains a failure.
        limits: { memoryMb: program.memoryMb, timeoutMs: job.max_duration_seconds * 1000, maxOutputBytes: Math.min(program.maxOutputBytes, RUNTIME_CAPTURE_BYTES) },
        context: { ...program.context, payload: job.payload ?? null, job: { id: job.id, name: job.job_name, namespace: job.namespace, retry_count: job.retry_count, max_retries: job.max_retries } },
        signal: r.abort.signal,
        interrupt: r.interrupt.signal,
        onOutput: (stream, chunk) => output.push(stream, chunk),
      });
    } catch (err) {
      failure = err as Error & { reason?: string };
    }
    clearInterval(flusher);
    output.end();
    // Every line and the last progress report are written before the outcome (hardening 1.4).
    writer.logs(output.take());
    await writer.settled();
    if (r.stoppedFor === 'progress_timeout') {
      return fail('progress_timeout', `no progress reported for ${Math.round(r.progressTimeoutMs / 1000)} s (the job's progress timeout); the job was stopped`);
    }
    if (failure) {
      if (failure.reason === 'cancelled' || r.interrupt.signal.aborted) return this.afterStop(r);
      return fail(failure.reason === 'timeout' ? 'timeout' : failure.reason ?? 'error', failure.message);
    }
    // Cancelled while it ran: the code saw isCancelled() and returned; the row says cancelled.
    if (r.interrupt.signal.aborted) return this.afterStop(r);
    const res = result!;
    const text = res.body.toString('utf8');
    const json = res.headers.some(([k, v]) => k.toLowerCase() === 'content-type' && v.includes('json'));
    let value: unknown = text;
    if (json) {
      try {
        value = JSON.parse(text);
      } catch {
        value = text;
      }
    }
    if (res.status < 200 || res.status > 299) return fail('exception', `the job answered ${res.status}: ${text.slice(0, 500)}`);
    // The upstream SDK's failure value: {success: false, error}.
    if (value !== null && typeof value === 'object' && (value as { success?: unknown }).success === false) {
      const e = (value as { error?: unknown }).error;
      return fail('exception', typeof e === 'string' ? e : JSON.stringify(e ?? 'the job returned success: false'));
    }
    return finish(value);
  }

  /** The job was stopped from outside (cancelled, or interrupted by the drain); its row already says so. */
  private afterStop(r: Running): Omit<JobOutcome, 'job' | 'durationMs'> {
    return { status: this.draining && !r.interrupt.signal.aborted ? 'interrupted' : 'cancelled' };
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

  /**
   * A cancel from any instance marks the row; here the job's code is told (isCancelled()) and
   * its process stopped after the grace period. A job silent past its progress timeout is stopped.
   */
  private async watch(): Promise<void> {
    const now = this.now();
    for (const r of this.running.values()) {
      if (r.progressTimeoutMs > 0 && r.stoppedFor === undefined && !r.interrupt.signal.aborted && now - r.lastProgressAt > r.progressTimeoutMs) {
        r.stoppedFor = 'progress_timeout';
        r.abort.abort();
      }
    }
    const ids = [...this.running.keys()];
    if (ids.length === 0) return;
    const cancelled = await this.o.run((sql) => cancelledAmong(sql, ids)).catch(() => [] as string[]);
    for (const id of cancelled) {
      const r = this.running.get(id);
      if (!r || r.interrupt.signal.aborted) continue;
      r.interrupt.abort();
      const t = setTimeout(() => r.abort.abort(), this.o.cancelGraceMs ?? 5_000);
      t.unref();
      void r.done.finally(() => clearTimeout(t));
    }
  }
}

/**
 * A job's progress and log writes (hardening 1.4): each runs on its own with a short timeout,
 * not tied to the job's life, so the last report before a finish or a cancel is kept. Progress
 * reports are coalesced (only the newest pending one is written); log batches go in order.
 */
class JobWrites {
  private chain: Promise<void> = Promise.resolve();
  private nextProgress: ProgressReport | undefined;
  private progressQueued = false;

  constructor(private readonly o: JobWorkerOptions, private readonly jobId: string, private readonly workerId: string, private readonly timeoutMs: number) {}

  progress(p: ProgressReport): void {
    this.nextProgress = p;
    if (this.progressQueued) return;
    this.progressQueued = true;
    this.enqueue(async () => {
      this.progressQueued = false;
      const latest = this.nextProgress!;
      await this.o.run((sql) => saveProgress(sql, this.jobId, this.workerId, latest));
    });
  }

  logs(lines: ReturnType<JobOutput['take']>): void {
    if (lines.length === 0) return;
    this.enqueue(() => this.o.run((sql) => appendLogs(sql, this.jobId, lines)));
  }

  settled(): Promise<void> {
    return this.chain;
  }

  private enqueue(write: () => Promise<unknown>): void {
    this.chain = this.chain.then(async () => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`a job write took over ${this.timeoutMs} ms`)), this.timeoutMs);
      });
      try {
        await Promise.race([write(), deadline]);
      } catch (err) {
        this.o.logger.warn({ err, job: this.jobId }, 'jobs: a progress or log write failed');
      } finally {
        clearTimeout(timer);
      }
    });
  }
}

/**
 * Completions written in batches (as graphile-worker batches its completions): the first
 * finished job starts a write on the next turn of the event loop, and jobs that finish while a
 * write is in flight go together in the next one, so an idle queue adds no delay and a busy one
 * writes one UPDATE (and one commit) for many jobs.
 */
class Completions {
  private pending: { id: string; result: unknown; resolve: (done: boolean) => void; reject: (err: unknown) => void }[] = [];
  private writing: Promise<void> | undefined;
  private static readonly MAX_BATCH = 500;

  constructor(private readonly write: (done: { id: string; result: unknown }[]) => Promise<Set<string>>) {}

  /** Resolves with whether the job was still this worker's running job. */
  add(id: string, result: unknown): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ id, result, resolve, reject });
      this.writing ??= this.loop();
    });
  }

  /** Resolves once every completion added so far is written (or failed). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async loop(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, Completions.MAX_BATCH);
      try {
        const done = await this.write(batch);
        for (const b of batch) b.resolve(done.has(b.id));
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.writing = undefined;
  }
}
