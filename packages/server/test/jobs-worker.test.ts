// The job worker (docs/jobs.md) against PostgreSQL and the real Deno runtime: a job runs
// with its payload and completes with the handler's value; a throwing job is retried and then
// failed; a job cancelled from elsewhere has its process stopped; stopping drains (running jobs
// finish within the grace period, the rest become interrupted and are claimable again without
// spending a retry); a second worker recovers the jobs of a worker that stopped beating.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DenoRuntime } from '../src/functions/index.ts';
import { findJob, JobWorker, submitJob, cancelJob, type JobProgram, type JobWorkerOptions, type NewJob } from '../src/jobs/index.ts';
import { createLogger } from '../src/observability/index.ts';
import { createTestDatabase, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let sql: postgres.Sql;
let tmp: string;
let runtime: DenoRuntime;
const workers: JobWorker[] = [];

const PROGRAMS: Record<string, string> = {
  double: 'export default async (req: Request, ctx: { payload: { n: number } }) => ({ doubled: ctx.payload.n * 2, body: await req.json() });',
  boom: 'export default () => { throw new Error("boom"); };',
  sleepy: 'export default () => new Promise((r) => setTimeout(() => r("woke"), 60_000));',
  quick: 'export default () => new Promise((r) => setTimeout(() => r("quick"), 300));',
  silent: 'export default async (_r: Request, ctx: { reportProgress(p: number): void }) => { ctx.reportProgress(10); await new Promise((r) => setTimeout(r, 30_000)); return "late"; };',
};

const job = (name: string, over: Partial<NewJob> = {}): NewJob => ({
  namespace: 'default', job_name: name, job_function_id: null, payload: { n: 21 }, priority: 0,
  max_retries: 0, max_duration_seconds: 120, created_by: null, user_role: 'service_role', ...over,
});

function worker(over: Partial<JobWorkerOptions> = {}): JobWorker {
  const w = new JobWorker({
    run: (fn) => fn(sql),
    runtime,
    logger: createLogger({ level: 'silent', format: 'json' }),
    resolve: async (j): Promise<JobProgram | null> => (PROGRAMS[j.job_name] ? { code: PROGRAMS[j.job_name]!, memoryMb: 128, maxOutputBytes: 1 << 20 } : null),
    capacity: 4, pollMs: 100, heartbeatMs: 100, workerTimeoutMs: 30_000, gracefulShutdownMs: 2_000,
    requeueInterrupted: true, backoffBaseMs: 50, backoffMaxMs: 100, cancelPollMs: 100,
    ...over,
  });
  workers.push(w);
  return w;
}

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 6, onnotice: () => {} });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-jobs-'));
  runtime = new DenoRuntime({ tmpRoot: tmp });
}, 60_000);
beforeEach(async () => {
  await sql`delete from jobs.queue`;
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await sql?.end();
  await db?.drop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('JobWorker', () => {
  it('runs a job with its payload and records the handler\'s value', async () => {
    const w = worker();
    const j = await submitJob(sql, job('double'));
    await w.start();
    await vi.waitFor(async () => expect(await findJob(sql, j.id)).toMatchObject({ status: 'completed', result: { doubled: 42, body: { n: 21 } } }), { timeout: 20_000 });
    await w.stop();
  });

  it('retries a failing job, then fails it with the error; an unknown function fails too', async () => {
    const w = worker();
    const j = await submitJob(sql, job('boom', { max_retries: 1 }));
    const missing = await submitJob(sql, job('nope'));
    await w.start();
    await vi.waitFor(async () => {
      expect(await findJob(sql, j.id)).toMatchObject({ status: 'failed', retry_count: 1, error_message: expect.stringMatching(/boom/) });
      expect(await findJob(sql, missing.id)).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/not found/) });
    }, { timeout: 20_000 });
    await w.stop();
  });

  it('stops the process of a job cancelled from elsewhere', async () => {
    const w = worker();
    const j = await submitJob(sql, job('sleepy'));
    await w.start();
    await vi.waitFor(async () => expect((await findJob(sql, j.id))?.status).toBe('running'), { timeout: 10_000 });
    expect(await cancelJob(sql, j.id)).toMatchObject({ status: 'cancelled' });
    await vi.waitFor(() => expect(w.busy).toBe(0), { timeout: 10_000 });
    expect(await findJob(sql, j.id)).toMatchObject({ status: 'cancelled', result: null });
    await w.stop();
  });

  it('drains on stop: a short job finishes, a long one becomes interrupted and another worker takes it without spending a retry', async () => {
    const w = worker({ gracefulShutdownMs: 1_500 });
    const quick = await submitJob(sql, job('quick'));
    const sleepy = await submitJob(sql, job('sleepy'));
    await w.start();
    await vi.waitFor(async () => {
      expect((await findJob(sql, quick.id))?.status).toBe('running');
      expect((await findJob(sql, sleepy.id))?.status).toBe('running');
    }, { timeout: 10_000 });
    await w.stop();
    expect(await findJob(sql, quick.id)).toMatchObject({ status: 'completed', result: 'quick' });
    expect(await findJob(sql, sleepy.id)).toMatchObject({ status: 'interrupted', retry_count: 0 });
    expect((await sql`select status from jobs.workers where id = ${w.id}`)[0]).toEqual({ status: 'stopped' });
    const next = worker();
    await next.start();
    await vi.waitFor(async () => expect(await findJob(sql, sleepy.id)).toMatchObject({ status: 'running', retry_count: 0, worker_id: next.id }), { timeout: 10_000 });
    await cancelJob(sql, sleepy.id);
    await next.stop();
  }, 30_000);

  it('recovers the running jobs of a worker that stopped beating', async () => {
    const silent = '00000000-0000-4000-8000-00000000dead';
    await sql`insert into jobs.workers (id, hostname, pid, capacity, last_heartbeat_at) values (${silent}, 'gone', 1, 1, now() - interval '5 minutes')`;
    const j = await submitJob(sql, job('double'));
    await sql`update jobs.queue set status = 'running', worker_id = ${silent}, started_at = now() where id = ${j.id}`;
    const w = worker();
    await w.start();
    await vi.waitFor(async () => expect(await findJob(sql, j.id)).toMatchObject({ status: 'completed', worker_id: w.id }), { timeout: 20_000 });
    await w.stop();
  });

  it('stops and fails a job that reports no progress within its progress timeout', async () => {
    const outcomes: string[] = [];
    const j = await submitJob(sql, job('silent', { max_retries: 0 }));
    const w = worker({ progressTimeoutMs: 1_500, onOutcome: (o) => outcomes.push(`${o.status}:${o.reason}`) });
    await w.start();
    await vi.waitFor(async () => expect(await findJob(sql, j.id)).toMatchObject({ status: 'failed' }), { timeout: 20_000 });
    const row = await findJob(sql, j.id);
    expect(row!.error_message).toMatch(/no progress reported for 2 s/);
    expect(row!.progress_percent).toBe(10);
    expect(outcomes).toEqual(['failed:progress_timeout']);
    await w.stop();
  });
});
