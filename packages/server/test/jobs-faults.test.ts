// Jobs under faults, with two real `fluxbase serve` processes on one database (issue 14
// "Reliability"; docs/jobs.md "Delivery guarantees" and "Shutdown"):
// - kill -9 of one instance in the middle of 200 running and pending jobs loses none: the other
//   instance requeues the dead one's running jobs after jobs.worker_timeout and runs everything
//   to `completed`; only jobs that were running on the killed instance ran twice, and are counted;
// - SIGTERM drains (hardening 3.3): the instance shows `draining`, stops claiming, keeps serving
//   HTTP, lets running jobs finish and exits 0; past jobs.graceful_shutdown_timeout the rest
//   become `interrupted` and run again elsewhere without spending a retry.
// Each job records its start (job id, instance) through the REST API before working, so a
// second run of a job is visible.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnServer, type ChildServer } from './harness/child-server.ts';
import { createTestDatabase, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, type TestDatabase } from './harness/index.ts';

const JOB = `export default async (_req: Request, ctx: { payload: { ms: number }; job: { id: string } }) => {
  const url = Deno.env.get("FLUXBASE_URL")!;
  const res = await fetch(url + "/rest/v1/job_runs", {
    method: "POST",
    headers: { authorization: "Bearer " + Deno.env.get("FLUXBASE_SERVICE_TOKEN"), "content-type": "application/json", prefer: "return=minimal" },
    body: JSON.stringify({ job_id: ctx.job.id, instance: url }),
  });
  if (!res.ok) throw new Error("could not record the start: " + res.status + " " + await res.text());
  await new Promise((r) => setTimeout(r, ctx.payload.ms));
  return { ok: true };
};`;

let db: TestDatabase;
let sql: postgres.Sql;
const servers: ChildServer[] = [];

function start(extra: Record<string, string> = {}): Promise<ChildServer> {
  return spawnServer({
    FLUXBASE_DATABASE_URL: db.url,
    FLUXBASE_ENV: 'test',
    FLUXBASE_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'fluxbase-jobs-faults-')),
    FLUXBASE_AUTH_JWT_SECRET: TEST_JWT_SECRET,
    FLUXBASE_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    FLUXBASE_DATABASE_MAX_CONNECTIONS: '12',
    FLUXBASE_JOBS_WORKER_COUNT: '2',
    FLUXBASE_JOBS_CONCURRENCY_PER_WORKER: '5',
    FLUXBASE_JOBS_POLL_INTERVAL: '200ms',
    FLUXBASE_JOBS_HEARTBEAT_INTERVAL: '300ms',
    FLUXBASE_JOBS_WORKER_TIMEOUT: '3s',
    FLUXBASE_JOBS_DIR: path.join(os.tmpdir(), `fluxbase-no-jobs-${process.pid}`),
    ...extra,
  }).then((s) => {
    servers.push(s);
    return s;
  });
}

async function call(server: ChildServer, method: string, p: string, body?: unknown): Promise<{ status: number; json: any }> /* eslint-disable-line @typescript-eslint/no-explicit-any -- varied shapes */ {
  const res = await fetch(`${server.url}${p}`, {
    method, headers: { authorization: `Bearer ${server.keys.service_role}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function submitMany(server: ChildServer, n: number, ms: (i: number) => number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 20) {
    const batch = await Promise.all(Array.from({ length: Math.min(20, n - i) }, (_, k) => call(server, 'POST', '/api/v1/jobs/submit', { job_name: 'work', payload: { ms: ms(i + k) } })));
    for (const r of batch) {
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      ids.push(r.json.id);
    }
  }
  return ids;
}

const counts = async () => Object.fromEntries((await sql<{ status: string; n: number }[]>`select status, count(*)::int as n from jobs.queue group by status`).map((r) => [r.status, r.n]));

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 3, onnotice: () => {} });
  await sql`create table public.job_runs (id bigserial primary key, job_id uuid not null, instance text not null, at timestamptz not null default clock_timestamp())`;
  await sql`grant all on public.job_runs to service_role`;
  await sql`grant usage on sequence public.job_runs_id_seq to service_role`;
}, 60_000);

afterAll(async () => {
  for (const s of servers) if (s.alive()) s.child.kill('SIGKILL');
  await Promise.all(servers.map((s) => s.exit));
  await sql?.end();
  await db?.drop();
});

describe('two instances', () => {
  it('kill -9 of one instance in the middle of 200 jobs loses none; only its running jobs run twice', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const deployed = await call(a!, 'POST', '/api/v1/admin/jobs/functions', { name: 'work', code: JOB, max_retries: 0 });
    expect(deployed.status, JSON.stringify(deployed.json)).toBe(201);
    const ids = await submitMany(a!, 200, (i) => 200 + (i % 7) * 100);
    // Kill A once both instances are busy and some jobs are done.
    await vi.waitFor(async () => {
      const runs = await sql<{ instance: string }[]>`select distinct instance from job_runs`;
      expect(runs.length).toBe(2);
      expect((await counts()).completed ?? 0).toBeGreaterThan(20);
    }, { timeout: 60_000, interval: 50 });
    const aWorkers = (await sql<{ id: string }[]>`select id from jobs.workers where pid = ${a!.child.pid!}`).map((r) => r.id);
    a!.child.kill('SIGKILL');
    await a!.exit;
    const runningOnA = (await sql<{ id: string }[]>`select id from jobs.queue where status = 'running' and worker_id = any(${aWorkers}::uuid[])`).map((r) => r.id);
    expect(runningOnA.length).toBeGreaterThan(0);

    await vi.waitFor(async () => expect((await counts()).completed).toBe(200), { timeout: 120_000, interval: 250 });
    const statuses = await counts();
    expect(statuses).toEqual({ completed: 200 });
    const starts = await sql<{ job_id: string; n: number; instances: string[] }[]>`
      select job_id, count(*)::int as n, array_agg(instance) as instances from job_runs group by job_id`;
    expect(new Set(starts.map((s) => s.job_id))).toEqual(new Set(ids));
    const twice = starts.filter((s) => s.n > 1);
    // Only the jobs running on A at the kill ran again, each at most twice, and at most A's capacity (2 × 5).
    for (const t of twice) {
      expect(runningOnA, `job ${t.job_id} ran ${t.n} times`).toContain(t.job_id);
      expect(t.n).toBe(2);
      expect(t.instances).toContain(a!.url);
    }
    expect(twice.length).toBeLessThanOrEqual(10);
    expect(twice.length).toBe(starts.filter((s) => runningOnA.includes(s.job_id) && s.n === 2).length);
    // The dead instance's workers are marked stopped by the survivor.
    const dead = await sql<{ status: string }[]>`select status from jobs.workers where id = any(${aWorkers}::uuid[])`;
    expect(dead.every((w) => w.status === 'stopped')).toBe(true);
    await b!.stop();
    await sql`truncate jobs.queue cascade`;
    await sql`truncate job_runs`;
  }, 240_000);

  it('SIGTERM drains (hardening 3.3): draining workers, HTTP still served, running jobs finish, exit 0', async () => {
    const a = await start({ FLUXBASE_JOBS_GRACEFUL_SHUTDOWN_TIMEOUT: '60s', FLUXBASE_JOBS_WORKER_COUNT: '1' });
    await call(a, 'POST', '/api/v1/admin/jobs/functions', { name: 'work', code: JOB, max_retries: 0 });
    const ids = await submitMany(a, 5, () => 3_000);
    const pending = await submitMany(a, 3, () => 100); // capacity is 5: these wait
    await vi.waitFor(async () => expect((await sql`select 1 from job_runs`).length).toBe(5), { timeout: 30_000, interval: 50 });
    a.child.kill('SIGTERM');
    await vi.waitFor(async () => {
      const ws = await sql<{ status: string }[]>`select status from jobs.workers where pid = ${a.child.pid!}`;
      expect(ws.map((w) => w.status)).toEqual(['draining']);
    }, { timeout: 10_000, interval: 20 });
    // While draining, the server still answers HTTP (the jobs' own API calls go through it).
    const health = await fetch(`${a.url}/health`);
    expect(health.status).toBe(200);
    const job = await call(a, 'GET', `/api/v1/jobs/${ids[0]}`);
    expect(job.json.status).toBe('running');
    expect(await a.exit).toBe(0);
    const rows = await sql<{ id: string; status: string }[]>`select id, status from jobs.queue`;
    for (const id of ids) expect(rows.find((r) => r.id === id)?.status).toBe('completed');
    // Nothing new was claimed once draining began.
    for (const id of pending) expect(rows.find((r) => r.id === id)?.status).toBe('pending');
    const w = await sql<{ status: string }[]>`select status from jobs.workers where pid = ${a.child.pid!}`;
    expect(w.map((x) => x.status)).toEqual(['stopped']);
    await sql`truncate jobs.queue cascade`;
    await sql`truncate job_runs`;
  }, 120_000);

  it('past the graceful timeout, running jobs become interrupted and run again elsewhere without spending a retry', async () => {
    const a = await start({ FLUXBASE_JOBS_GRACEFUL_SHUTDOWN_TIMEOUT: '1s', FLUXBASE_JOBS_WORKER_COUNT: '1', FLUXBASE_JOBS_REQUEUE_INTERRUPTED: 'false' });
    await call(a, 'POST', '/api/v1/admin/jobs/functions', { name: 'work', code: JOB, max_retries: 0 });
    const ids = await submitMany(a, 3, () => 4_000);
    await vi.waitFor(async () => expect((await sql`select 1 from job_runs`).length).toBe(3), { timeout: 30_000, interval: 50 });
    a.child.kill('SIGTERM');
    expect(await a.exit).toBe(0);
    const rows = await sql<{ status: string; retry_count: number; worker_id: string | null }[]>`select status, retry_count, worker_id from jobs.queue where id = any(${ids}::uuid[])`;
    expect(rows.map((r) => r.status)).toEqual(['interrupted', 'interrupted', 'interrupted']);
    expect(rows.every((r) => r.retry_count === 0 && r.worker_id === null)).toBe(true);
    // An instance that requeues interrupted jobs runs them to the end, still without a retry spent.
    const b = await start({ FLUXBASE_JOBS_WORKER_COUNT: '1' });
    await vi.waitFor(async () => {
      const done = await sql<{ status: string; retry_count: number }[]>`select status, retry_count from jobs.queue where id = any(${ids}::uuid[])`;
      expect(done).toEqual([{ status: 'completed', retry_count: 0 }, { status: 'completed', retry_count: 0 }, { status: 'completed', retry_count: 0 }]);
    }, { timeout: 60_000, interval: 200 });
    const metrics = await b.metrics();
    expect(metrics.value('fluxbase_jobs_completed_total', { namespace: 'default', name: 'work' })).toBe(3);
    await b.stop();
  }, 120_000);
});
