// A soak of the queue (issue 14 "Reliability"): 5,000 jobs, 10% of them failing, claimed by
// two sets of workers on separate connection pools (two instances' worth) with tiny backoff.
// Every job must end `completed` or `failed` exactly per its retry budget: a job whose first k
// attempts fail completes with retry_count = k when k ≤ max_retries, else fails with
// retry_count = max_retries after max_retries + 1 attempts; no attempt is lost or doubled.
// The handlers run in-process (a JobRuntime that fails on cue), so the test measures the
// queue and the workers, not 5,000 Deno start-ups (the Deno path is jobs-worker/jobs-api).
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { JobWorker, type JobRuntime } from '../src/jobs/index.ts';
import { createLogger } from '../src/observability/index.ts';
import { createTestDatabase, type TestDatabase } from './harness/index.ts';

const JOBS = 5_000;
let db: TestDatabase;
const pools: postgres.Sql[] = [];
const workers: JobWorker[] = [];
/** Attempts seen per job id. */
const attempts = new Map<string, number>();

/** Fails the first `fail` attempts of a job (its payload says how many), then answers 200. */
const runtime: JobRuntime = {
  async invoke(input) {
    const job = (input.context as { job: { id: string } }).job;
    const n = (attempts.get(job.id) ?? 0) + 1;
    attempts.set(job.id, n);
    const { fail } = JSON.parse(input.request.body ?? '{}') as { fail: number };
    await new Promise((r) => setImmediate(r));
    if (n <= fail) throw Object.assign(new Error(`attempt ${n} failed on cue`), { reason: 'exception' });
    return { status: 200, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify({ attempt: n })) };
  },
};

beforeAll(async () => {
  db = await createTestDatabase();
  for (let i = 0; i < 2; i++) pools.push(postgres(db.url, { max: 4, onnotice: () => {} }));
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  for (const p of pools) await p.end();
  await db?.drop();
});

it('ends 5,000 jobs with 10% failures completed or failed exactly per their retry budget', async () => {
  const sql = pools[0]!;
  // Every tenth job fails: 1, 2 or 3 times (budget 2) or 5 times (budget 3): some recover, some exhaust.
  const rows = Array.from({ length: JOBS }, (_, i) => {
    const failing = i % 10 === 0;
    const fail = failing ? [1, 2, 3, 5][(i / 10) % 4]! : 0;
    const max_retries = failing && fail === 5 ? 3 : 2;
    return { namespace: 'default', job_name: 'soak', payload: { fail, i }, max_retries, max_duration_seconds: 60, user_role: 'service_role' };
  });
  for (let i = 0; i < rows.length; i += 1000) await sql`insert into jobs.queue ${sql(rows.slice(i, i + 1000) as never)}`;
  for (const pool of pools) {
    for (let k = 0; k < 2; k++) {
      const w = new JobWorker({
        run: (fn) => fn(pool), runtime, logger: createLogger({ level: 'silent', format: 'json' }),
        resolve: async () => ({ code: '', memoryMb: 64, maxOutputBytes: 1024 }),
        capacity: 8, pollMs: 50, heartbeatMs: 1_000, workerTimeoutMs: 30_000, gracefulShutdownMs: 5_000,
        requeueInterrupted: true, backoffBaseMs: 5, backoffMaxMs: 20,
      });
      workers.push(w);
      await w.start(pool);
    }
  }
  await vi.waitFor(async () => {
    const [left] = await sql<{ n: number }[]>`select count(*)::int as n from jobs.queue where status not in ('completed', 'failed')`;
    expect(left!.n).toBe(0);
  }, { timeout: 300_000, interval: 500 });

  const done = await sql<{ id: string; status: string; retry_count: number; max_retries: number; fail: number; result: { attempt: number } | null; error_message: string | null }[]>`
    select id, status, retry_count, max_retries, (payload->>'fail')::int as fail, result, error_message from jobs.queue`;
  expect(done).toHaveLength(JOBS);
  let failed = 0;
  for (const j of done) {
    const seen = attempts.get(j.id);
    if (j.fail <= j.max_retries) {
      expect(j, `job ${j.id}`).toMatchObject({ status: 'completed', retry_count: j.fail, result: { attempt: j.fail + 1 } });
      expect(seen).toBe(j.fail + 1);
    } else {
      failed++;
      expect(j, `job ${j.id}`).toMatchObject({ status: 'failed', retry_count: j.max_retries });
      expect(j.error_message).toBe(`attempt ${j.max_retries + 1} failed on cue`);
      expect(seen).toBe(j.max_retries + 1);
    }
  }
  // 500 failing jobs: 125 each of 1, 2, 3 (budget 2) and 5 (budget 3) failures → 250 exhaust their budget.
  expect(failed).toBe(250);
}, 360_000);
