// Jobs end to end over HTTP (API.md §11.2; docs/jobs.md): deploying job functions, submitting
// as a user and as the service role, the handler forms (edge form, upstream handler(req,
// fluxbase, fluxbaseService, job) and main(payload, ...)), results, retries with backoff,
// progress with an ETA, logs line by line (HTTP and live over realtime subscribe_logs),
// cancel from the API reaching the running job (isCancelled(), then the process stopped),
// visibility (another user's job is 404), and every kind of bad input.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;
let owner: postgres.Sql;
const alice = randomUUID();
const bob = randomUUID();

const service = () => ({ authorization: `Bearer ${app.keys.service_role}`, 'content-type': 'application/json' });
const as = (sub: string) => ({ authorization: `Bearer ${app.userToken(sub)}`, 'content-type': 'application/json' });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes vary per call
async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = service()): Promise<{ status: number; json: any }> {
  const res = await app.fetch(path, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function deploy(name: string, code: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await api('POST', '/api/v1/admin/jobs/functions', { name, code, ...extra });
  expect([200, 201], JSON.stringify(res.json)).toContain(res.status);
}

async function submit(body: Record<string, unknown>, headers: Record<string, string> = service()): Promise<{ status: number; json: any }> /* eslint-disable-line @typescript-eslint/no-explicit-any -- a Job */ {
  return api('POST', '/api/v1/jobs/submit', body, headers);
}

/** Waits until the job reaches one of `statuses` (the worker runs it in a Deno process). */
async function until(id: string, statuses: string[], headers = service(), timeout = 30_000) {
  let job: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- a Job
  await vi.waitFor(async () => {
    job = (await api('GET', `/api/v1/jobs/${id}`, undefined, headers)).json;
    expect(statuses).toContain(job.status);
  }, { timeout, interval: 100 });
  return job;
}

beforeAll(async () => {
  db = await createTestDatabase();
  owner = postgres(db.url, { max: 2, onnotice: () => {} });
  for (const id of [alice, bob]) await owner`insert into auth.users (id, email) values (${id}, ${`${id}@example.com`})`;
  await owner`create function public.add_numbers(a int, b int) returns int language sql as 'select a + b'`;
  await owner`create function public.who_am_i() returns text language sql stable as $$select coalesce(current_setting('request.jwt.claims', true)::jsonb->>'sub', 'nobody') || ':' || current_user$$`;
  await owner`create function public.numbers(n int) returns setof int language sql as 'select generate_series(1, n)'`;
  await owner`create function public.explode() returns int language plpgsql as $$begin raise exception 'exploded on purpose'; end$$`;
  await owner`grant execute on all functions in schema public to anon, authenticated, service_role`;
  app = await startTestApp(db.url, {
    overrides: { jobs: { worker_count: 2, concurrency_per_worker: 4, retry_backoff_base: '100ms', retry_backoff_max: '400ms', poll_interval: '200ms', cancel_grace_period: '3s' } },
  });
  await deploy('echo', `export default async (req: Request, ctx: { payload: unknown; job: { id: string } }) => {
    const body = await req.json();
    console.log("got", JSON.stringify(body));
    return { echoed: body, same: JSON.stringify(body) === JSON.stringify(ctx.payload), id: ctx.job.id };
  };`);
  await deploy('upstream-handler', `export async function handler(req: Request, fluxbase: unknown, fluxbaseService: unknown, job: { getJobContext(): { job_id: string; retry_count: number }; getJobPayload(): { n: number } }) {
    const p = job.getJobPayload();
    return { doubled: p.n * 2, ctx: job.getJobContext().job_id };
  }`);
  await deploy('upstream-main', `export async function main(payload: { n: number }, ctx: { job: { name: string } }) {
    return { squared: payload.n * payload.n, name: ctx.job.name };
  }`);
  await deploy('fails', `export default () => { throw new Error("boom on purpose"); };`, { max_retries: 2 });
  await deploy('soft-fail', `export async function main() { return { success: false, error: "not today" }; }`, { max_retries: 0 });
  await deploy('progress', `export default async (_req: Request, ctx: { reportProgress(p: number, m?: string, d?: unknown): void }) => {
    for (const p of [10, 50]) { ctx.reportProgress(p, "step " + p, { p }); await new Promise((r) => setTimeout(r, 50)); }
    ctx.reportProgress(75, "almost");
    await new Promise((r) => setTimeout(r, 2000));
    ctx.reportProgress(95, "wrapping up", { last: true });
    return "done";
  };`);
  await deploy('too-much', `export default (_req: Request, ctx: { reportProgress(p: number): void }) => { ctx.reportProgress(150); return "unreachable"; };`, { max_retries: 0 });
  await deploy('chatty', `export default () => { for (let i = 1; i <= 30; i++) console.log("line " + i); console.error("to stderr"); return 1; };`);
  await deploy('waits-for-cancel', `export default async (_req: Request, ctx: { isCancelled(): boolean; reportProgress(p: number, m: string): void }) => {
    console.log("started");
    while (!ctx.isCancelled()) await new Promise((r) => setTimeout(r, 20));
    ctx.reportProgress(77, "cleaning up after cancel");
    console.log("saw the cancel");
    return "stopped cleanly";
  };`);
  await deploy('ignores-cancel', `export default async () => { console.log("started"); await new Promise(() => {}); };`, { timeout_seconds: 120 });
  await deploy('hangs', 'export default () => new Promise(() => {});', { timeout_seconds: 1, max_retries: 0 });
  await deploy('exits', 'export default () => { console.log("leaving"); Deno.exit(3); };', { max_retries: 0 });
  await deploy('uses-secret', 'export default (_r: Request, ctx: { secrets: Record<string, string> }) => ({ env: Deno.env.get("FLUXBASE_SECRET_MAIL_KEY"), ctx: ctx.secrets.MAIL_KEY });');
  await deploy('disabled', 'export default () => 1;', { enabled: false });
  await deploy('admins-only', 'export default () => 1;', { require_roles: ['admin'] });
}, 180_000);

afterAll(async () => {
  await app?.close();
  await owner?.end();
  await db?.drop();
});

describe('running jobs', () => {
  it('runs an edge-form job: the payload is the JSON body and ctx.payload; the value is the result, the console its logs', async () => {
    const sub = await submit({ job_name: 'echo', payload: { a: 1, nested: { b: [1, 2] } } }, as(alice));
    expect(sub.status, JSON.stringify(sub.json)).toBe(201);
    expect(sub.json).toMatchObject({ job_name: 'echo', namespace: 'default', status: 'pending', created_by: alice, user_role: 'authenticated', payload: { a: 1, nested: { b: [1, 2] } }, retry_count: 0 });
    const job = await until(sub.json.id, ['completed', 'failed'], as(alice));
    expect(job.status, job.error_message).toBe('completed');
    expect(job.result).toEqual({ echoed: { a: 1, nested: { b: [1, 2] } }, same: true, id: sub.json.id });
    expect(job.progress_percent).toBe(100);
    await vi.waitFor(async () => {
      const logs = await api('GET', `/api/v1/jobs/${sub.json.id}/logs`, undefined, as(alice));
      expect(logs.json.logs.map((l: { message: string }) => l.message)).toContain('got {"a":1,"nested":{"b":[1,2]}}');
    });
  });

  it('runs the upstream forms: handler(req, fluxbase, fluxbaseService, job) and main(payload, ctx)', async () => {
    const h = await submit({ job_name: 'upstream-handler', payload: { n: 21 } });
    const m = await submit({ job_name: 'upstream-main', payload: { n: 7 } });
    expect((await until(h.json.id, ['completed', 'failed'])).result).toEqual({ doubled: 42, ctx: h.json.id });
    expect((await until(m.json.id, ['completed', 'failed'])).result).toEqual({ squared: 49, name: 'upstream-main' });
  });

  it('retries a throwing job with backoff, then fails it with the error, retry_count = max_retries', async () => {
    const sub = await submit({ job_name: 'fails' });
    const job = await until(sub.json.id, ['failed']);
    expect(job.retry_count).toBe(2);
    expect(job.error_message).toContain('boom on purpose');
    const retried = await api('POST', `/api/v1/jobs/${sub.json.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject({ status: 'pending', retry_count: 3 });
  });

  it('fails a job that returns the upstream {success: false, error} without retrying past its budget', async () => {
    const job = await until((await submit({ job_name: 'soft-fail' })).json.id, ['failed', 'completed']);
    expect(job).toMatchObject({ status: 'failed', error_message: 'not today', retry_count: 0 });
  });

  it('reports progress with message, data and an ETA while running', async () => {
    const sub = await submit({ job_name: 'progress' }, as(alice));
    await vi.waitFor(async () => {
      const p = (await api('GET', `/api/v1/jobs/${sub.json.id}/progress`, undefined, as(alice))).json;
      expect(p).toMatchObject({ job_id: sub.json.id, status: 'running', progress_percent: 75, progress_message: 'almost' });
      expect(p.estimated_seconds_left).toBeGreaterThanOrEqual(0);
      expect(typeof p.estimated_completion_at).toBe('string');
    }, { timeout: 20_000, interval: 50 });
    const done = await until(sub.json.id, ['completed']);
    // The report made just before returning is written before the completion (hardening 1.4).
    expect(done).toMatchObject({ progress_percent: 100, result: 'done', progress_message: 'wrapping up', progress_data: { last: true } });
  });

  it('fails a job that reports progress above 100 with a clear error, and the worker stays healthy', async () => {
    const job = await until((await submit({ job_name: 'too-much' })).json.id, ['failed', 'completed']);
    expect(job.status).toBe('failed');
    expect(job.error_message).toMatch(/percent must be a number from 0 to 100, got 150/);
    const next = await until((await submit({ job_name: 'echo', payload: { after: 'too-much' } })).json.id, ['completed']);
    expect(next.result.echoed).toEqual({ after: 'too-much' });
  });

  it('fails a job that hangs past its timeout, and one that exits, with clear errors; the worker stays healthy', async () => {
    const hung = await until((await submit({ job_name: 'hangs' })).json.id, ['failed', 'completed']);
    expect(hung).toMatchObject({ status: 'failed', retry_count: 0 });
    expect(hung.error_message).toMatch(/exceeded its 1000 ms timeout/);
    const exited = await until((await submit({ job_name: 'exits' })).json.id, ['failed', 'completed']);
    expect(exited.status).toBe('failed');
    expect(exited.error_message).toMatch(/exited with code 3 before responding/);
    expect((await api('GET', `/api/v1/jobs/${exited.id}/logs`)).json.logs.map((l: { message: string }) => l.message)).toEqual(['leaving']);
    const next = await until((await submit({ job_name: 'echo', payload: { still: 'fine' } })).json.id, ['completed']);
    expect(next.result.echoed).toEqual({ still: 'fine' });
  });

  it('gives a job the secrets of its namespace, as edge functions get them', async () => {
    const created = await api('POST', '/api/v1/secrets', { name: 'MAIL_KEY', value: 'key-for-jobs' });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const job = await until((await submit({ job_name: 'uses-secret' })).json.id, ['completed', 'failed']);
    expect(job.result).toEqual({ env: 'key-for-jobs', ctx: 'key-for-jobs' });
  });

  it('keeps stdout and stderr line by line, numbered, readable after a line', async () => {
    const sub = await submit({ job_name: 'chatty' });
    await until(sub.json.id, ['completed']);
    const all = (await api('GET', `/api/v1/jobs/${sub.json.id}/logs`)).json;
    expect(all.count).toBe(31);
    expect(all.logs[0]).toMatchObject({ line_number: 1, level: 'info', message: 'line 1' });
    expect(all.logs[30]).toMatchObject({ line_number: 31, level: 'error', message: 'to stderr' });
    const after = (await api('GET', `/api/v1/jobs/${sub.json.id}/logs?after_line=28`)).json;
    expect(after.logs.map((l: { line_number: number }) => l.line_number)).toEqual([29, 30, 31]);
    expect((await api('GET', `/api/v1/jobs/${sub.json.id}/logs?after=30`)).json.count).toBe(1);
  });

  it('streams log lines live over realtime subscribe_logs to the job owner only', async () => {
    const sub = await submit({ job_name: 'waits-for-cancel' }, as(alice));
    const ws = new WebSocket(`${app.url.replace('http', 'ws')}/realtime?token=${app.userToken(alice)}`);
    const frames: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any -- frames
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'subscribe_logs', config: { execution_id: sub.json.id, type: 'job' } }));
    await vi.waitFor(() => expect(frames.some((f) => f.type === 'ack' || f.payload?.subscribed)).toBe(true));
    // Bob may not follow Alice's job.
    const other = new WebSocket(`${app.url.replace('http', 'ws')}/realtime?token=${app.userToken(bob)}`);
    const otherFrames: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any -- frames
    other.on('message', (d) => otherFrames.push(JSON.parse(d.toString())));
    await new Promise((r) => other.once('open', r));
    other.send(JSON.stringify({ type: 'subscribe_logs', config: { execution_id: sub.json.id, type: 'job' } }));
    await vi.waitFor(() => expect(otherFrames.find((f) => f.type === 'error')?.code ?? otherFrames.find((f) => f.type === 'error')?.payload?.code).toBe('NOT_FOUND'));
    await until(sub.json.id, ['running'], as(alice));
    await api('POST', `/api/v1/jobs/${sub.json.id}/cancel`, undefined, as(alice));
    await vi.waitFor(() => {
      const lines = frames.filter((f) => f.type === 'execution_log').map((f) => f.payload.message);
      expect(lines).toContain('saw the cancel');
    }, { timeout: 20_000 });
    const log = frames.find((f) => f.type === 'execution_log');
    expect(log.payload).toMatchObject({ execution_id: sub.json.id, execution_type: 'job', level: 'info' });
    ws.close();
    other.close();
  });
});

describe('cancellation', () => {
  it('reaches the running job: isCancelled() turns true, its last progress is kept (hardening 1.4), the row stays cancelled', async () => {
    const sub = await submit({ job_name: 'waits-for-cancel' }, as(alice));
    await until(sub.json.id, ['running'], as(alice));
    await vi.waitFor(async () => expect((await api('GET', `/api/v1/jobs/${sub.json.id}/logs`)).json.count).toBeGreaterThan(0));
    const cancelled = await api('POST', `/api/v1/jobs/${sub.json.id}/cancel`, undefined, as(alice));
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.status).toBe('cancelled');
    await vi.waitFor(async () => {
      const logs = (await api('GET', `/api/v1/jobs/${sub.json.id}/logs`)).json.logs.map((l: { message: string }) => l.message);
      expect(logs).toContain('saw the cancel');
    }, { timeout: 20_000 });
    await vi.waitFor(() => expect(app.server.app.jobs.workers.every((w) => !w.runningIds().includes(sub.json.id))).toBe(true), { timeout: 20_000 });
    const job = (await api('GET', `/api/v1/jobs/${sub.json.id}`)).json;
    expect(job).toMatchObject({ status: 'cancelled', progress_percent: 77, progress_message: 'cleaning up after cancel' });
    expect(job.result).toBeNull();
  });

  it('stops a job that ignores the cancel after the grace period', async () => {
    const sub = await submit({ job_name: 'ignores-cancel' });
    await until(sub.json.id, ['running']);
    await vi.waitFor(async () => expect((await api('GET', `/api/v1/jobs/${sub.json.id}/logs`)).json.count).toBeGreaterThan(0));
    expect((await api('POST', `/api/v1/jobs/${sub.json.id}/cancel`)).status).toBe(200);
    await vi.waitFor(() => expect(app.server.app.jobs.workers.every((w) => !w.runningIds().includes(sub.json.id))).toBe(true), { timeout: 20_000 });
    expect((await api('GET', `/api/v1/jobs/${sub.json.id}`)).json.status).toBe('cancelled');
  });

  it('answers 409 for a cancel or retry in the wrong state', async () => {
    const sub = await submit({ job_name: 'echo' });
    await until(sub.json.id, ['completed']);
    const c = await api('POST', `/api/v1/jobs/${sub.json.id}/cancel`);
    expect(c.status).toBe(409);
    expect(c.json).toMatchObject({ code: 'CONFLICT' });
    expect(c.json.message).toContain('is completed');
    const r = await api('POST', `/api/v1/jobs/${sub.json.id}/retry`);
    expect(r.status).toBe(409);
  });
});

describe('who sees what', () => {
  it('shows users only their own jobs (another user\'s id is 404); the service role sees all', async () => {
    const mine = await submit({ job_name: 'echo', payload: { who: 'alice' } }, as(alice));
    await until(mine.json.id, ['completed'], as(alice));
    for (const path of [`/api/v1/jobs/${mine.json.id}`, `/api/v1/jobs/${mine.json.id}/progress`, `/api/v1/jobs/${mine.json.id}/logs`]) {
      const res = await api('GET', path, undefined, as(bob));
      expect(res.status, path).toBe(404);
      expect(res.json.code).toBe('NOT_FOUND');
    }
    expect((await api('POST', `/api/v1/jobs/${mine.json.id}/retry`, undefined, as(bob))).status).toBe(404);
    const bobs = (await api('GET', '/api/v1/jobs?limit=1000', undefined, as(bob))).json;
    expect(bobs.jobs.some((j: { id: string }) => j.id === mine.json.id)).toBe(false);
    const alices = (await api('GET', '/api/v1/jobs?job_name=echo&status=completed', undefined, as(alice))).json;
    expect(alices).toMatchObject({ limit: 50, offset: 0 });
    expect(alices.jobs.every((j: { created_by: string }) => j.created_by === alice)).toBe(true);
    expect(alices.jobs[0].payload).toBeNull();
    expect(alices.jobs[0].result).toBeNull();
    const withResult = (await api('GET', '/api/v1/jobs?job_name=echo&include_result=true', undefined, as(alice))).json;
    expect(withResult.jobs.find((j: { id: string }) => j.id === mine.json.id).result.echoed).toEqual({ who: 'alice' });
    const all = (await api('GET', '/api/v1/admin/jobs/queue?limit=1000')).json;
    expect(all.jobs.some((j: { id: string }) => j.id === mine.json.id)).toBe(true);
    expect((await api('GET', `/api/v1/jobs/${mine.json.id}`)).status).toBe(200);
  });

  it('submits on behalf of a user with the service role only', async () => {
    const ok = await submit({ job_name: 'echo', on_behalf_of: { user_id: bob } });
    expect(ok.status).toBe(201);
    expect(ok.json.created_by).toBe(bob);
    expect((await api('GET', `/api/v1/jobs/${ok.json.id}`, undefined, as(bob))).status).toBe(200);
    const refused = await submit({ job_name: 'echo', on_behalf_of: { user_id: bob } }, as(alice));
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe('INSUFFICIENT_PERMISSIONS');
    const nobody = await submit({ job_name: 'echo', on_behalf_of: { user_id: randomUUID() } });
    expect(nobody.status).toBe(404);
    const elevated = await submit({ job_name: 'echo', on_behalf_of: { user_id: bob, user_role: 'service_role' } });
    expect(elevated.status).toBe(400);
    expect(elevated.json.message).toContain('on_behalf_of.user_role');
  });

  it('refuses an anonymous submit with 401 AUTHENTICATION_REQUIRED', async () => {
    const res = await submit({ job_name: 'echo' }, { authorization: `Bearer ${app.keys.anon}`, 'content-type': 'application/json' });
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('AUTHENTICATION_REQUIRED');
    const none = await submit({ job_name: 'echo' }, { 'content-type': 'application/json' });
    expect(none.status).toBe(401);
  });

  it('honours require_roles and a disabled function', async () => {
    const r = await submit({ job_name: 'admins-only' }, as(alice));
    expect(r.status).toBe(403);
    expect(r.json.details).toMatchObject({ required_roles: ['admin'], user_role: 'authenticated' });
    expect((await submit({ job_name: 'admins-only' })).status).toBe(201);
    const d = await submit({ job_name: 'disabled' });
    expect(d.status).toBe(403);
    expect(d.json.code).toBe('FUNCTION_DISABLED');
  });
});

describe('bad input', () => {
  const cases: [string, Record<string, unknown> | string, number, string][] = [
    ['unknown job name', { job_name: 'nope' }, 404, 'NOT_FOUND'],
    ['unknown namespace', { job_name: 'echo', namespace: 'elsewhere' }, 404, 'NOT_FOUND'],
    ['invalid job name', { job_name: '../etc' }, 400, 'VALIDATION_FAILED'],
    ['missing job name', { payload: {} }, 400, 'MISSING_REQUIRED_FIELD'],
    ['payload not an object', { job_name: 'echo', payload: [1, 2] }, 400, 'VALIDATION_FAILED'],
    ['payload a string', { job_name: 'echo', payload: 'x' }, 400, 'VALIDATION_FAILED'],
    ['malformed scheduled_at', { job_name: 'echo', scheduled_at: 'tomorrow' }, 400, 'VALIDATION_FAILED'],
    ['scheduled_at in the past', { job_name: 'echo', scheduled_at: '2001-01-01T00:00:00Z' }, 400, 'VALIDATION_FAILED'],
    ['negative priority', { job_name: 'echo', priority: -1 }, 400, 'VALIDATION_FAILED'],
    ['fractional priority', { job_name: 'echo', priority: 1.5 }, 400, 'VALIDATION_FAILED'],
    ['negative max_retries', { job_name: 'echo', max_retries: -3 }, 400, 'VALIDATION_FAILED'],
    ['zero timeout', { job_name: 'echo', timeout_seconds: 0 }, 400, 'VALIDATION_FAILED'],
    ['unknown field', { job_name: 'echo', priorty: 2 }, 400, 'VALIDATION_FAILED'],
    ['not JSON', '{"job_name":', 400, 'INVALID_JSON'],
  ];
  it.each(cases)('%s', async (_name, body, status, code) => {
    const res = await submit(body as Record<string, unknown>);
    expect(res.status, JSON.stringify(res.json)).toBe(status);
    expect(res.json.code).toBe(code);
    expect(typeof res.json.message).toBe('string');
    expect(res.json.request_id).toBeTruthy();
  });

  it('refuses a huge payload with 413 and a payload over 1 MB with a clear error', async () => {
    const big = await submit({ job_name: 'echo', payload: { blob: 'x'.repeat(1_100_000) } });
    expect([400, 413]).toContain(big.status);
    expect(['VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE']).toContain(big.json.code);
    const huge = await submit({ job_name: 'echo', payload: { blob: 'x'.repeat(20_000_000) } });
    expect(huge.status).toBe(413);
  });

  it('answers 404 for a malformed or unknown job id and 400 for a bad list query', async () => {
    expect((await api('GET', '/api/v1/jobs/not-a-uuid')).status).toBe(404);
    expect((await api('GET', `/api/v1/jobs/${randomUUID()}`)).status).toBe(404);
    expect((await api('POST', `/api/v1/jobs/${randomUUID()}/cancel`)).status).toBe(404);
    const bad = await api('GET', '/api/v1/jobs?status=sleeping');
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain('status');
    expect((await api('GET', '/api/v1/jobs?limit=0')).status).toBe(400);
  });

  it('refuses a job function whose code does not compile, and a bad schedule', async () => {
    const res = await api('POST', '/api/v1/admin/jobs/functions', { name: 'broken', code: 'export default () => { return 1 +; };' });
    expect(res.status).toBe(400);
    expect(res.json.message).toContain('code');
    const cron = await api('POST', '/api/v1/admin/jobs/functions', { name: 'bad-cron', code: 'export default () => 1;', schedule: 'every day' });
    expect(cron.status).toBe(400);
    expect(cron.json.message).toContain('schedule');
    expect((await api('POST', '/api/v1/admin/jobs/functions', { name: 'x', code: 'export default () => 1;' }, as(alice))).status).toBe(403);
  });

  it('scopes service keys: read:jobs lists, write:jobs submits', async () => {
    const mk = await api('POST', '/api/v1/admin/service-keys', { name: 'reader', scopes: ['read:jobs'] });
    expect(mk.status, JSON.stringify(mk.json)).toBe(201);
    const key = { 'x-service-key': mk.json.key, 'content-type': 'application/json' };
    expect((await api('GET', '/api/v1/jobs', undefined, key)).status).toBe(200);
    const denied = await submit({ job_name: 'echo' }, key);
    expect(denied.status).toBe(403);
    expect(denied.json.details.required_scope).toBe('write:jobs');
  });
});

describe('admin', () => {
  it('lists functions, workers and stats, updates and deletes a function', async () => {
    const fns = (await api('GET', '/api/v1/admin/jobs/functions')).json;
    expect(fns.map((f: { name: string }) => f.name)).toContain('echo');
    const one = await api('GET', '/api/v1/admin/jobs/functions/default/echo');
    expect(one.json).toMatchObject({ name: 'echo', namespace: 'default', version: 1, enabled: true, max_retries: 3 });
    const up = await api('PUT', '/api/v1/admin/jobs/functions/default/chatty', { max_retries: 5, code: 'export default () => 2;' });
    expect(up.status, JSON.stringify(up.json)).toBe(200);
    expect(up.json).toMatchObject({ max_retries: 5, version: 2 });
    const workers = (await api('GET', '/api/v1/admin/jobs/workers')).json;
    expect(workers.filter((w: { status: string }) => w.status === 'active').length).toBeGreaterThanOrEqual(2);
    const stats = (await api('GET', '/api/v1/admin/jobs/stats')).json;
    expect(stats.completed_jobs).toBeGreaterThan(0);
    await deploy('temp', 'export default () => 1;');
    expect((await api('DELETE', '/api/v1/admin/jobs/functions/default/temp')).status).toBe(204);
    expect((await api('GET', '/api/v1/admin/jobs/functions/default/temp')).status).toBe(404);
  });

  it('syncs a namespace: creates, updates, leaves unchanged, deletes missing; dry run changes nothing', async () => {
    const jobs = [{ name: 'a', code: 'export default () => "a";' }, { name: 'b', code: 'export default () => "b";' }];
    const first = await api('POST', '/api/v1/admin/jobs/sync', { namespace: 'batch', jobs });
    expect(first.json.summary).toMatchObject({ created: 2, updated: 0, deleted: 0 });
    const dry = await api('POST', '/api/v1/admin/jobs/sync', { namespace: 'batch', jobs: [jobs[0]], options: { delete_missing: true, dry_run: true } });
    expect(dry.json.summary).toMatchObject({ unchanged: 1, deleted: 1 });
    expect((await api('GET', '/api/v1/admin/jobs/functions?namespace=batch')).json).toHaveLength(2);
    const real = await api('POST', '/api/v1/admin/jobs/sync', { namespace: 'batch', jobs: [{ name: 'a', code: 'export default () => "a2";' }], options: { delete_missing: true } });
    expect(real.json.summary).toMatchObject({ updated: 1, deleted: 1 });
    const job = await until((await submit({ job_name: 'a', namespace: 'batch' })).json.id, ['completed']);
    expect(job.result).toBe('a2');
  });
});

describe('metrics (hardening 5.4)', () => {
  const scrape = async () => (await app.fetch('/metrics')).text();
  const value = (text: string, name: string, labels: Record<string, string> = {}) => {
    const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `) ? want.every((w) => l.includes(w)) : false);
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };

  it('exports exactly the job metrics of API.md, with queue depth read from the database', async () => {
    // A job due in an hour waits in the queue: the depth gauge counts it by namespace and priority.
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const waiting = await submit({ job_name: 'echo', priority: 7, scheduled_at: later });
    expect(waiting.status).toBe(201);
    // Another instance's view is the database's: a row inserted behind the server's back counts too.
    await owner`insert into jobs.queue (namespace, job_name, priority, scheduled_at, max_retries, max_duration_seconds) values ('other', 'x', 3, now() + interval '1 hour', 0, 10)`;
    await vi.waitFor(async () => {
      const text = await scrape();
      expect(value(text, 'fluxbase_jobs_queue_depth', { namespace: 'default', priority: '7' })).toBe(1);
      expect(value(text, 'fluxbase_jobs_queue_depth', { namespace: 'other', priority: '3' })).toBe(1);
    }, { timeout: 15_000, interval: 500 });
    const text = await scrape();
    expect(value(text, 'fluxbase_jobs_completed_total', { namespace: 'default', name: 'echo' })).toBeGreaterThan(0);
    expect(value(text, 'fluxbase_jobs_failed_total', { namespace: 'default', name: 'fails', reason: 'exception' })).toBeGreaterThanOrEqual(1);
    expect(value(text, 'fluxbase_jobs_retries_total', { namespace: 'default', name: 'fails', reason: 'exception' })).toBe(2);
    expect(value(text, 'fluxbase_jobs_cancelled_total', { namespace: 'default', name: 'waits-for-cancel' })).toBeGreaterThan(0);
    expect(value(text, 'fluxbase_job_execution_duration_seconds_count', { namespace: 'default', name: 'echo' })).toBeGreaterThan(0);
    expect(value(text, 'fluxbase_jobs_processing')).toBe(0);
    expect(value(text, 'fluxbase_job_workers_active')).toBe(2);
    expect(value(text, 'fluxbase_job_worker_utilization')).toBe(0);
    expect(text).toContain('# TYPE fluxbase_jobs_interrupted_total counter');
    await api('POST', `/api/v1/jobs/${waiting.json.id}/cancel`);
    await owner`delete from jobs.queue where namespace = 'other'`;
  });

  it('shows a running job in processing and utilization', async () => {
    const sub = await submit({ job_name: 'ignores-cancel' });
    await until(sub.json.id, ['running']);
    const text = await scrape();
    expect(value(text, 'fluxbase_jobs_processing')).toBe(1);
    expect(value(text, 'fluxbase_job_worker_utilization')).toBeCloseTo(1 / 8, 5);
    await api('POST', `/api/v1/jobs/${sub.json.id}/cancel`);
    await vi.waitFor(() => expect(app.server.app.jobs.workers.every((w) => w.busy === 0)).toBe(true), { timeout: 20_000 });
  });
});

describe('asynchronous RPC (API.md §6)', () => {
  const rpc = (fn: string, body: unknown, headers = as(alice)) => api('POST', `/api/v1/rpc/default/${fn}`, body, headers);
  const execution = async (id: string, headers = as(alice)) => {
    let rec: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- an execution record
    await vi.waitFor(async () => {
      rec = (await api('GET', `/api/v1/rpc/executions/${id}`, undefined, headers)).json;
      expect(['completed', 'failed', 'timeout']).toContain(rec.status);
    }, { timeout: 20_000, interval: 100 });
    return rec;
  };

  it('queues the call as a job and answers its execution id; the record holds the result', async () => {
    const res = await rpc('add_numbers', { params: { a: 2, b: 40 }, async: true });
    expect(res.status, JSON.stringify(res.json)).toBe(202);
    expect(res.json).toEqual({ execution_id: expect.any(String), status: 'pending' });
    const rec = await execution(res.json.execution_id);
    expect(rec).toMatchObject({ execution_id: res.json.execution_id, status: 'completed', result: 42, rows_returned: 1 });
    expect(typeof rec.duration_ms).toBe('number');
    expect(rec.completed_at).toBeTruthy();
    const set = await execution((await rpc('numbers', { params: { n: 3 }, async: true })).json.execution_id);
    expect(set).toMatchObject({ result: [1, 2, 3], rows_returned: 3 });
    const logs = (await api('GET', `/api/v1/rpc/executions/${res.json.execution_id}/logs?after_line=0`, undefined, as(alice))).json;
    expect(logs).toEqual({ entries: [], logs: [], count: 0 });
  });

  it('runs as the caller (role and claims), and only the caller or an admin reads it', async () => {
    const res = await rpc('who_am_i', { async: true });
    expect((await execution(res.json.execution_id)).result).toBe(`${alice}:authenticated`);
    expect((await api('GET', `/api/v1/rpc/executions/${res.json.execution_id}`, undefined, as(bob))).status).toBe(404);
    expect((await api('GET', `/api/v1/rpc/executions/${res.json.execution_id}`)).status).toBe(200);
    expect((await api('GET', `/api/v1/rpc/executions/${randomUUID()}`)).status).toBe(404);
  });

  it('records a failing call as failed with its error; bad calls are refused at once', async () => {
    const rec = await execution((await rpc('explode', { async: true })).json.execution_id);
    expect(rec.status).toBe('failed');
    expect(rec.error).toContain('exploded on purpose');
    const unknown = await rpc('nope', { async: true });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('FUNCTION_NOT_FOUND');
    const anon = await rpc('add_numbers', { params: { a: 1, b: 1 }, async: true }, { authorization: `Bearer ${app.keys.anon}`, 'content-type': 'application/json' });
    expect(anon.status).toBe(401);
    expect(anon.json.code).toBe('AUTHENTICATION_REQUIRED');
    const bad = await rpc('add_numbers', { params: { a: 1, b: 1 }, async: 'yes' });
    expect(bad.status).toBe(400);
  });
});

