// Two servers on one database (docs/jobs.md): a cancel sent to one instance stops the job
// running on the other; and cron through the product: a job function and an edge function
// scheduled every second; one server leads and fires; when it stops, the other takes over;
// across the change every second's occurrence became exactly one job (no gap, no double), and
// the edge function ran on its schedule (trigger_type cron). The scheduler's own exactly-once
// and leader-election cases are in jobs-cron.test.ts.
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let sql: postgres.Sql;
const apps: TestApp[] = [];

const service = (app: TestApp) => ({ authorization: `Bearer ${app.keys.service_role}`, 'content-type': 'application/json' });

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 2, onnotice: () => {} });
  for (let i = 0; i < 2; i++) apps.push(await startTestApp(db.url, { overrides: { jobs: { poll_interval: '200ms' } } }));
}, 60_000);

afterAll(async () => {
  for (const a of apps) await a.close().catch(() => {});
  await sql?.end();
  await db?.drop();
});

it('stops a job running on one instance when the other is asked to cancel it', async () => {
  const [a, b] = apps as [TestApp, TestApp];
  const deployed = await a.fetch('/api/v1/admin/jobs/functions', {
    method: 'POST', headers: service(a),
    body: JSON.stringify({ name: 'waits', code: 'export default async (_r: Request, ctx: { isCancelled(): boolean }) => { console.log("up"); while (!ctx.isCancelled()) await new Promise((r) => setTimeout(r, 20)); return "saw it"; };' }),
  });
  expect(deployed.status).toBe(201);
  const sub = await (await a.fetch('/api/v1/jobs/submit', { method: 'POST', headers: service(a), body: JSON.stringify({ job_name: 'waits' }) })).json() as { id: string };
  const runner = () => apps.find((x) => x.server.app.jobs.workers.some((w) => w.runningIds().includes(sub.id)));
  await vi.waitFor(() => expect(runner()).toBeDefined(), { timeout: 20_000 });
  const other = runner() === a ? b : a;
  const res = await other.fetch(`/api/v1/jobs/${sub.id}/cancel`, { method: 'POST', headers: service(other) });
  expect(res.status).toBe(200);
  await vi.waitFor(() => expect(runner()).toBeUndefined(), { timeout: 10_000 });
  const logs = await (await other.fetch(`/api/v1/jobs/${sub.id}/logs`, { headers: service(other) })).json() as { logs: { message: string }[] };
  expect(logs.logs.map((l: { message: string }) => l.message)).toEqual(['up']);
  const [row] = await sql<{ status: string }[]>`select status from jobs.queue where id = ${sub.id}`;
  expect(row!.status).toBe('cancelled');
}, 60_000);

it('fires every occurrence once across a leader change, for job functions and edge functions', async () => {
  const [a, b] = apps as [TestApp, TestApp];
  const job = await a.fetch('/api/v1/admin/jobs/functions', {
    method: 'POST', headers: service(a),
    body: JSON.stringify({ name: 'tick', code: 'export default (_r: Request, ctx: { payload: unknown }) => ctx.payload;', schedule: '* * * * * *' }),
  });
  expect(job.status, await job.clone().text()).toBe(201);
  const fn = await a.fetch('/api/v1/functions', {
    method: 'POST', headers: service(a),
    body: JSON.stringify({ name: 'nightly', code: 'export default () => new Response("ran");', cron_schedule: '*/2 * * * * *' }),
  });
  expect(fn.status, await fn.clone().text()).toBe(201);
  const leaderOf = () => apps.find((x) => x.server.app.jobs.scheduler?.isLeader);
  await vi.waitFor(() => expect(leaderOf()).toBeDefined(), { timeout: 15_000 });
  expect(apps.filter((x) => x.server.app.jobs.scheduler?.isLeader)).toHaveLength(1);
  const firstLeader = leaderOf()!;
  const fired = async () => (await sql<{ at: string }[]>`select payload->>'_scheduled_at' as at from jobs.queue where job_name = 'tick' order by 1`).map((r) => r.at);
  await vi.waitFor(async () => expect((await fired()).length).toBeGreaterThanOrEqual(3), { timeout: 20_000 });

  // The leader stops (a deploy, a scale-down): the other instance takes over.
  await firstLeader.close();
  const other = firstLeader === a ? b : a;
  const before = (await fired()).length;
  await vi.waitFor(() => expect(other.server.app.jobs.scheduler?.isLeader).toBe(true), { timeout: 15_000 });
  await vi.waitFor(async () => expect((await fired()).length).toBeGreaterThanOrEqual(before + 3), { timeout: 20_000 });

  const times = (await fired()).map((t) => Date.parse(t));
  expect(new Set(times).size).toBe(times.length);
  for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `gap after ${new Date(times[i - 1]!).toISOString()}`).toBe(1000);
  // The scheduled jobs ran (on the surviving instance's workers too), with the cron payload.
  await vi.waitFor(async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from jobs.queue where job_name = 'tick' and status = 'completed'`;
    expect(row!.n).toBeGreaterThanOrEqual(times.length - 2);
  }, { timeout: 20_000 });
  const [done] = await sql<{ result: { _trigger: string } }[]>`select result from jobs.queue where job_name = 'tick' and status = 'completed' limit 1`;
  expect(done!.result._trigger).toBe('cron');
  await vi.waitFor(async () => {
    const runs = await sql<{ trigger_type: string; status: string }[]>`
      select e.trigger_type, e.status from functions.edge_executions e join functions.edge_functions f on f.id = e.function_id where f.name = 'nightly'`;
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.every((r) => r.trigger_type === 'cron' && r.status === 'success')).toBe(true);
  }, { timeout: 20_000 });
}, 120_000);
