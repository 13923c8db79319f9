// The job queue's SQL against a real PostgreSQL (API.md §11.2): claim order (priority, then
// schedule), future jobs wait, concurrent claimers never share a job, failures retry with
// backoff until the budget is spent, interrupted jobs are claimable again without spending a
// retry (only while jobs.requeue_interrupted), a dead worker's jobs return to pending, and
// cancel/retry are refused in the wrong state. The `interrupted` status is accepted by the
// schema (upstream's CHECK constraint rejected it).
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  cancelJob, claimJobs, completeJob, failJob, findJob, heartbeat, interruptWorkerJobs, registerWorker, requeueStaleWorkers,
  retryBackoffMs, retryJob, submitJob, type NewJob,
} from '../src/jobs/index.ts';
import { createTestDatabase, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let sql: postgres.Sql;

const job = (over: Partial<NewJob> = {}): NewJob => ({
  namespace: 'default', job_name: 'task', job_function_id: null, payload: { n: 1 }, priority: 0,
  max_retries: 2, max_duration_seconds: 60, created_by: null, user_role: 'service_role', ...over,
});

async function worker(): Promise<string> {
  const id = randomUUID();
  await registerWorker(sql, { id, hostname: 'test', pid: process.pid, capacity: 4 });
  return id;
}

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 6, onnotice: () => {} });
});
beforeEach(async () => {
  await sql`delete from jobs.queue`;
});
afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

describe('claiming', () => {
  it('takes the highest priority first, then the earliest due, and leaves future jobs', async () => {
    const past = new Date(Date.now() - 60_000);
    const low = await submitJob(sql, job({ job_name: 'low', priority: 0, scheduled_at: past }));
    const high = await submitJob(sql, job({ job_name: 'high', priority: 10 }));
    const older = await submitJob(sql, job({ job_name: 'older', priority: 0, scheduled_at: new Date(Date.now() - 120_000) }));
    await submitJob(sql, job({ job_name: 'later', priority: 100, scheduled_at: new Date(Date.now() + 3_600_000) }));
    const w = await worker();
    const claimed = await claimJobs(sql, w, 10, true);
    expect(claimed.map((j) => j.job_name)).toEqual(['high', 'older', 'low']);
    expect(claimed.every((j) => j.status === 'running' && j.worker_id === w && j.started_at !== null)).toBe(true);
    expect(new Set(claimed.map((j) => j.id))).toEqual(new Set([low.id, high.id, older.id]));
  });

  it('never gives one job to two concurrent claimers', async () => {
    for (let i = 0; i < 200; i++) await submitJob(sql, job({ payload: { i } }));
    const workers = await Promise.all(Array.from({ length: 4 }, () => worker()));
    const seen: string[] = [];
    await Promise.all(workers.map(async (w) => {
      for (;;) {
        const got = await claimJobs(sql, w, 7, true);
        if (got.length === 0) return;
        seen.push(...got.map((j) => j.id));
      }
    }));
    expect(seen).toHaveLength(200);
    expect(new Set(seen).size).toBe(200);
  });
});

describe('finishing', () => {
  it('completes a job once; a cancelled job cannot be completed afterwards', async () => {
    const w = await worker();
    const a = await submitJob(sql, job());
    const b = await submitJob(sql, job());
    await claimJobs(sql, w, 2, true);
    expect(await completeJob(sql, a.id, w, { ok: true })).toBe(true);
    expect(await findJob(sql, a.id)).toMatchObject({ status: 'completed', result: { ok: true }, progress_percent: 100 });
    expect((await cancelJob(sql, b.id))?.status).toBe('cancelled');
    expect(await completeJob(sql, b.id, w, 'late')).toBe(false);
    expect(await findJob(sql, b.id)).toMatchObject({ status: 'cancelled', result: null });
  });

  it('retries a failure after the backoff until max_retries, then fails it with the error', async () => {
    const w = await worker();
    const j = await submitJob(sql, job({ max_retries: 1 }));
    await claimJobs(sql, w, 1, true);
    expect(await failJob(sql, j.id, w, 'boom 1', 60_000)).toBe('pending');
    const waiting = await findJob(sql, j.id);
    expect(waiting).toMatchObject({ status: 'pending', retry_count: 1, error_message: 'boom 1', worker_id: null });
    expect(waiting!.scheduled_at.getTime()).toBeGreaterThan(Date.now() + 50_000);
    expect(await claimJobs(sql, w, 1, true)).toEqual([]); // not due yet
    await sql`update jobs.queue set scheduled_at = now() where id = ${j.id}`;
    expect(await claimJobs(sql, w, 1, true)).toHaveLength(1);
    expect(await failJob(sql, j.id, w, 'boom 2', 60_000)).toBe('failed');
    expect(await findJob(sql, j.id)).toMatchObject({ status: 'failed', retry_count: 1, error_message: 'boom 2' });
  });

  it('computes min(base × 2^n, max) with ±20 % jitter', () => {
    expect(retryBackoffMs(0, 10_000, 3_600_000, () => 0.5)).toBe(10_000);
    expect(retryBackoffMs(3, 10_000, 3_600_000, () => 0.5)).toBe(80_000);
    expect(retryBackoffMs(20, 10_000, 3_600_000, () => 0.5)).toBe(3_600_000);
    expect(retryBackoffMs(0, 10_000, 3_600_000, () => 0)).toBe(8_000);
    expect(retryBackoffMs(0, 10_000, 3_600_000, () => 1)).toBe(12_000);
  });
});

describe('workers going away', () => {
  it('interrupts a draining worker\'s jobs; they are claimable again without spending a retry, only while requeue_interrupted', async () => {
    const w = await worker();
    const j = await submitJob(sql, job());
    await claimJobs(sql, w, 1, true);
    expect(await interruptWorkerJobs(sql, w)).toBe(1);
    expect(await findJob(sql, j.id)).toMatchObject({ status: 'interrupted', retry_count: 0, worker_id: null });
    const other = await worker();
    expect(await claimJobs(sql, other, 5, false)).toEqual([]);
    const again = await claimJobs(sql, other, 5, true);
    expect(again).toMatchObject([{ id: j.id, status: 'running', retry_count: 0, worker_id: other }]);
  });

  it('returns the running jobs of a worker silent past worker_timeout to pending', async () => {
    const dead = await worker();
    const alive = await worker();
    const j = await submitJob(sql, job());
    const k = await submitJob(sql, job());
    await claimJobs(sql, dead, 1, true);
    await claimJobs(sql, alive, 1, true);
    await sql`update jobs.workers set last_heartbeat_at = now() - interval '1 minute' where id = ${dead}`;
    await heartbeat(sql, alive);
    expect(await requeueStaleWorkers(sql, 30_000)).toBe(1);
    const [mine, theirs] = [await findJob(sql, j.id), await findJob(sql, k.id)];
    const requeued = [mine!, theirs!].find((x) => x.status === 'pending')!;
    expect(requeued).toMatchObject({ worker_id: null, retry_count: 0 });
    expect([mine!, theirs!].filter((x) => x.status === 'running')).toHaveLength(1);
    expect((await sql`select status from jobs.workers where id = ${dead}`)[0]).toEqual({ status: 'stopped' });
    expect(await requeueStaleWorkers(sql, 30_000)).toBe(0);
  });
});

describe('cancel and retry in the wrong state', () => {
  it('refuses to cancel a finished job and to retry a pending or running one', async () => {
    const w = await worker();
    const done = await submitJob(sql, job());
    await claimJobs(sql, w, 1, true);
    await completeJob(sql, done.id, w, null);
    expect(await cancelJob(sql, done.id)).toBeNull();
    const pending = await submitJob(sql, job());
    expect(await retryJob(sql, pending.id)).toBeNull();
    expect(await cancelJob(sql, pending.id)).toMatchObject({ status: 'cancelled' });
    expect(await retryJob(sql, pending.id)).toMatchObject({ status: 'pending', retry_count: 1 });
  });

  it('accepts every status of the API in the schema, and refuses any other', async () => {
    const j = await submitJob(sql, job());
    for (const status of ['pending', 'running', 'completed', 'failed', 'cancelled', 'interrupted']) {
      await sql`update jobs.queue set status = ${status} where id = ${j.id}`;
    }
    await expect(sql`update jobs.queue set status = 'lost' where id = ${j.id}`).rejects.toThrow(/check constraint/);
  });
});
