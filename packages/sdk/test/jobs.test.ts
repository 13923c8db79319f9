// `client.jobs` and async `client.rpc` against the real server and Deno (API.md §11.2, §6):
// job functions deployed through `jobs.admin`, jobs submitted as a user and as the service
// role (also on a user's behalf), waited for, their result, progress and logs read; cancel
// and retry with CONFLICT in the wrong state; another user's job is NOT_FOUND; the list's
// `{jobs, limit, offset}` shape; the admin queue; an async SQL function call.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../../server/test/harness/index.ts';
import { createClient, type FluxbaseClient, type Job } from '../src/index.ts';

let db: TestDatabase;
let app: TestApp;
let admin: FluxbaseClient;
let alice: FluxbaseClient;
let bob: FluxbaseClient;
const aliceId = randomUUID();
const bobId = randomUUID();

// One function, told what to do by its payload, so the suite type-checks (deploys) only once.
const ECHO = `export default async (_req: Request, ctx: {
  payload: { mode?: string };
  reportProgress(percent: number, message?: string, data?: unknown): void;
  isCancelled(): boolean;
}) => {
  const p = ctx.payload;
  console.log("payload " + JSON.stringify(p));
  if (p.mode === "fail") throw new Error("failed on purpose");
  if (p.mode === "wait") {
    while (!ctx.isCancelled()) await new Promise((r) => setTimeout(r, 20));
    return "stopped";
  }
  ctx.reportProgress(50, "half way", { step: 1 });
  console.error("done");
  return { got: p };
};`;

const userClient = (sub: string) => createClient(app.url, app.keys.anon, { headers: { authorization: `Bearer ${app.userToken(sub)}` } });

/** Polls until the job reaches `status` (as `client` sees it). */
async function until(client: FluxbaseClient, id: string, status: Job['status']): Promise<Job> {
  let job: Job | null = null;
  await vi.waitFor(async () => {
    job = (await client.jobs.get(id)).data;
    expect(job?.status).toBe(status);
  }, { timeout: 20_000, interval: 100 });
  return job!;
}

beforeAll(async () => {
  db = await createTestDatabase();
  for (const id of [aliceId, bobId]) await db.sql`insert into auth.users (id, email) values (${id}, ${`${id}@example.com`})`;
  await db.sql`create function public.add_numbers(a int, b int) returns int language sql as 'select a + b'`;
  app = await startTestApp(db.url, { overrides: { jobs: { worker_count: 1, concurrency_per_worker: 4, poll_interval: '200ms', retry_backoff_base: '100ms', cancel_grace_period: '2s' } } });
  admin = createClient(app.url, app.keys.service_role);
  alice = userClient(aliceId);
  bob = userClient(bobId);
  const { error } = await admin.jobs.admin.deployFunction({ name: 'sdk-echo', code: ECHO, max_retries: 0 });
  if (error) throw new Error(`deploying sdk-echo: ${error.status} ${error.code} ${error.message}`);
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

describe('client.jobs: running', () => {
  it('submits as a user, waits, and reads the result, progress and logs', async () => {
    const sub = await alice.jobs.submit<{ got: unknown }>('sdk-echo', { n: 1, nested: { a: [1, 2] } });
    expect(sub.error).toBeNull();
    expect(sub.data).toMatchObject({ job_name: 'sdk-echo', namespace: 'default', status: 'pending', created_by: aliceId, payload: { n: 1, nested: { a: [1, 2] } } });
    const done = await alice.jobs.wait<{ got: unknown }>(sub.data!.id, { timeoutMs: 20_000, intervalMs: 100 });
    expect(done.error).toBeNull();
    expect(done.data).toMatchObject({ status: 'completed', result: { got: { n: 1, nested: { a: [1, 2] } } }, progress_percent: 100 });
    expect(done.data!.completed_at).toEqual(expect.any(String));

    const progress = await alice.jobs.getProgress(sub.data!.id);
    expect(progress.data).toMatchObject({ job_id: sub.data!.id, status: 'completed', progress_percent: 100 });

    await vi.waitFor(async () => {
      const { data } = await alice.jobs.getLogs(sub.data!.id);
      expect(data!.logs.map((l) => [l.line_number, l.level, l.message])).toEqual([[1, 'info', 'payload {"n":1,"nested":{"a":[1,2]}}'], [2, 'error', 'done']]);
      expect(data!.count).toBe(2);
      expect(data!.logs[0]!.timestamp).toEqual(expect.any(String));
    });
    const after = await alice.jobs.getLogs(sub.data!.id, 1);
    expect(after.data).toMatchObject({ count: 1, logs: [{ line_number: 2, message: 'done' }] });
  });

  it('submits as the service role with options, and on behalf of a user', async () => {
    const later = new Date(Date.now() + 3600_000);
    const sub = await admin.jobs.submit('sdk-echo', { x: 1 }, { priority: 7, maxRetries: 2, timeoutSeconds: 30, scheduledAt: later });
    expect(sub.error).toBeNull();
    expect(sub.data).toMatchObject({ status: 'pending', priority: 7, max_retries: 2, max_duration_seconds: 30, created_by: null });
    expect(Date.parse(sub.data!.scheduled_at)).toBe(later.getTime());
    // Not due for an hour: waiting runs out.
    const waited = await admin.jobs.wait(sub.data!.id, { timeoutMs: 300, intervalMs: 100 });
    expect(waited.error).toMatchObject({ code: 'TIMEOUT', status: 0 });
    expect((await admin.jobs.cancel(sub.data!.id)).data?.status).toBe('cancelled');

    const forBob = await admin.jobs.submit('sdk-echo', { for: 'bob' }, { onBehalfOf: { userId: bobId } });
    expect(forBob.data?.created_by).toBe(bobId);
    expect((await bob.jobs.wait(forBob.data!.id, { timeoutMs: 20_000 })).data).toMatchObject({ status: 'completed', result: { got: { for: 'bob' } } });
    const refused = await alice.jobs.submit('sdk-echo', {}, { onBehalfOf: { userId: bobId } });
    expect(refused.error).toMatchObject({ code: 'INSUFFICIENT_PERMISSIONS', status: 403 });
  });

  it('reports a failed job as data with its error, and retries it', async () => {
    const sub = await alice.jobs.submit('sdk-echo', { mode: 'fail' });
    const failed = await alice.jobs.wait(sub.data!.id, { timeoutMs: 20_000 });
    expect(failed.error).toBeNull();
    expect(failed.data).toMatchObject({ status: 'failed', retry_count: 0 });
    expect(failed.data!.error_message).toContain('failed on purpose');
    const retried = await alice.jobs.retry(sub.data!.id);
    expect(retried.data).toMatchObject({ status: 'pending', retry_count: 1 });
    expect((await alice.jobs.wait(sub.data!.id, { timeoutMs: 20_000 })).data).toMatchObject({ status: 'failed', retry_count: 1 });
  });

  it('cancels a running job; cancel and retry in the wrong state are CONFLICT errors', async () => {
    const sub = await alice.jobs.submit('sdk-echo', { mode: 'wait' });
    await until(alice, sub.data!.id, 'running');
    const cancelled = await alice.jobs.cancel(sub.data!.id);
    expect(cancelled.error).toBeNull();
    expect(cancelled.data?.status).toBe('cancelled');
    const again = await alice.jobs.cancel(sub.data!.id);
    expect(again.data).toBeNull();
    expect(again.error).toMatchObject({ code: 'CONFLICT', status: 409 });

    const ok = await alice.jobs.submit('sdk-echo', {});
    await alice.jobs.wait(ok.data!.id, { timeoutMs: 20_000 });
    expect((await alice.jobs.retry(ok.data!.id)).error).toMatchObject({ code: 'CONFLICT', status: 409 });
  });

  it('errors: unknown function, anonymous submit, invalid options', async () => {
    expect((await alice.jobs.submit('no-such-job')).error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    const anon = createClient(app.url, app.keys.anon);
    expect((await anon.jobs.submit('sdk-echo')).error).toMatchObject({ code: 'AUTHENTICATION_REQUIRED', status: 401 });
    expect((await alice.jobs.submit('sdk-echo', {}, { scheduledAt: '2001-01-01T00:00:00Z' })).error).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect((await alice.jobs.list({ limit: 0 })).error).toMatchObject({ status: 400 });
  });
});

describe('client.jobs: who sees what', () => {
  it('hides another user\'s job (NOT_FOUND) and lists only your own, as {jobs, limit, offset}', async () => {
    const mine = await alice.jobs.submit('sdk-echo', { who: 'alice' });
    await alice.jobs.wait(mine.data!.id, { timeoutMs: 20_000 });
    const id = mine.data!.id;
    for (const res of [await bob.jobs.get(id), await bob.jobs.getProgress(id), await bob.jobs.getLogs(id), await bob.jobs.cancel(id), await bob.jobs.retry(id)]) {
      expect(res.error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    }

    const list = await alice.jobs.list({ jobName: 'sdk-echo', status: 'completed' });
    expect(list.error).toBeNull();
    expect(list.data).toMatchObject({ limit: 50, offset: 0 });
    expect(list.data!.jobs.length).toBeGreaterThan(0);
    expect(list.data!.jobs.every((j) => j.created_by === aliceId && j.payload === null && j.result === null)).toBe(true);
    const withResult = await alice.jobs.list<{ got: unknown }>({ jobName: 'sdk-echo', includeResult: true, limit: 100 });
    expect(withResult.data!.jobs.find((j) => j.id === id)?.result).toEqual({ got: { who: 'alice' } });
    expect((await bob.jobs.list({ limit: 1000 })).data!.jobs.some((j) => j.id === id)).toBe(false);
    const page = await admin.jobs.list({ limit: 1, offset: 1 });
    expect(page.data).toMatchObject({ limit: 1, offset: 1 });
    expect(page.data!.jobs).toHaveLength(1);
  });
});

describe('client.jobs.admin', () => {
  it('lists, reads, updates, syncs and deletes job functions', async () => {
    const fns = await admin.jobs.admin.listFunctions();
    expect(fns.data!.map((f) => f.name)).toContain('sdk-echo');
    const one = await admin.jobs.admin.getFunction('sdk-echo');
    expect(one.data).toMatchObject({ name: 'sdk-echo', namespace: 'default', version: 1, enabled: true, max_retries: 0, code: ECHO, source: 'api' });
    const updated = await admin.jobs.admin.updateFunction('sdk-echo', { description: 'echoes', max_retries: 0 });
    expect(updated.data).toMatchObject({ description: 'echoes', version: 1 });

    const synced = await admin.jobs.admin.sync({ namespace: 'sdk-batch', jobs: [{ name: 'one', code: 'export default () => "from batch";' }] });
    expect(synced.error).toBeNull();
    expect(synced.data).toMatchObject({ namespace: 'sdk-batch', summary: { created: 1, errors: 0 }, details: { created: ['one'] }, dry_run: false });
    const run = await admin.jobs.submit('one', undefined, { namespace: 'sdk-batch' });
    expect((await admin.jobs.wait(run.data!.id, { timeoutMs: 20_000 })).data).toMatchObject({ status: 'completed', result: 'from batch', namespace: 'sdk-batch' });
    expect((await admin.jobs.admin.listFunctions({ namespace: 'sdk-batch' })).data!.map((f) => f.name)).toEqual(['one']);
    expect(await admin.jobs.admin.deleteFunction('one', 'sdk-batch')).toEqual({ data: null, error: null });
    expect((await admin.jobs.admin.getFunction('one', 'sdk-batch')).error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('refuses code that does not compile, and non-admin callers', async () => {
    const bad = await admin.jobs.admin.deployFunction({ name: 'broken', code: 'export default () => { return 1 +; };' });
    expect(bad.error?.status).toBe(400);
    expect(bad.error?.message).toContain('code');
    expect((await alice.jobs.admin.listFunctions()).error?.status).toBe(403);
    expect((await alice.jobs.admin.listQueue()).error?.status).toBe(403);
  });

  it('reads, cancels and retries any user\'s job in the queue; workers and stats', async () => {
    const sub = await alice.jobs.submit('sdk-echo', { q: 1 }, { scheduledAt: new Date(Date.now() + 3600_000) });
    const id = sub.data!.id;
    const queue = await admin.jobs.admin.listQueue({ status: 'pending', limit: 1000 });
    expect(queue.data!.jobs.map((j) => j.id)).toContain(id);
    expect((await admin.jobs.admin.getQueueJob(id)).data).toMatchObject({ id, created_by: aliceId, payload: { q: 1 } });
    expect((await admin.jobs.admin.cancelQueueJob(id)).data?.status).toBe('cancelled');
    expect((await admin.jobs.admin.cancelQueueJob(id)).error).toMatchObject({ code: 'CONFLICT', status: 409 });
    expect((await admin.jobs.admin.retryQueueJob(id)).data).toMatchObject({ status: 'pending', retry_count: 1 });
    expect((await admin.jobs.admin.cancelQueueJob(id)).error).toBeNull();
    expect((await admin.jobs.admin.getQueueJobLogs(id)).data).toEqual({ logs: [], count: 0 });

    const workers = await admin.jobs.admin.workers();
    expect(workers.data!.filter((w) => w.status === 'active')).toHaveLength(1);
    const stats = await admin.jobs.admin.stats();
    expect(stats.data!.completed_jobs).toBeGreaterThan(0);
    expect(stats.data!.jobs_by_function.some((f) => f.job_name === 'sdk-echo')).toBe(true);
  });
});

describe('client.rpc async', () => {
  it('queues a call: data is the execution id, then its status, result and logs', async () => {
    const res = await alice.rpc('add_numbers', { a: 2, b: 3 }, { async: true });
    expect(res.error).toBeNull();
    expect(res.status).toBe(202);
    expect(res.data).toEqual({ execution_id: res.executionId, status: 'pending' });
    const id = res.executionId!;
    const done = await alice.rpc.waitForCompletion(id, { timeoutMs: 20_000, intervalMs: 100 });
    expect(done.data).toMatchObject({ execution_id: id, status: 'completed', result: 5, rows_returned: 1 });
    expect((await alice.rpc.getExecution(id)).data).toMatchObject({ status: 'completed', result: 5 });
    expect((await alice.rpc.getExecutionLogs(id)).data).toEqual(expect.any(Array));
    expect((await bob.rpc.getExecution(id)).error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });
});
