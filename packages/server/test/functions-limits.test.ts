// Bounds of the functions runtime on one instance (docs/functions.md "Warm workers" and
// "Limits"): functions.max_concurrent refuses the invocation beyond it with 503 and
// Retry-After instead of starting another process, and functions.warm_pool_size 0 starts a
// new process for every invocation (no worker stays). Calls and deploys are bounded by their
// own deadlines, not server.handler_timeout (functions/routes/own-deadline.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetrics } from './harness/child-server.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;
let admin: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp(db.url, { overrides: { functions: { max_concurrent: 2, warm_pool_size: 0 }, server: { handler_timeout: '1s' } } });
  admin = { authorization: `Bearer ${app.keys.service_role}` };
  const res = await app.fetch('/api/v1/functions', {
    method: 'POST', headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'slow', code: 'let n = 0; export default () => new Promise((r) => setTimeout(() => r({ n: ++n }), 500));\n' }),
  });
  expect(res.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

describe('functions.max_concurrent and functions.warm_pool_size', () => {
  it('answers 503 with Retry-After beyond the limit, and runs the rest', async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, async () => {
      const res = await app.fetch('/functions/v1/slow', { method: 'POST', headers: admin });
      return { status: res.status, retry: res.headers.get('retry-after'), body: await res.json() as { code?: string; n?: number } };
    }));
    const ok = answers.filter((a) => a.status === 200);
    const busy = answers.filter((a) => a.status === 503);
    expect(ok).toHaveLength(2);
    expect(busy).toHaveLength(3);
    expect(busy[0]).toMatchObject({ retry: '1', body: { code: 'SERVICE_UNAVAILABLE' } });
    // A new process each time: module state starts over.
    expect(ok.map((a) => a.body.n)).toEqual([1, 1]);
    const metrics = parseMetrics(await (await app.fetch('/metrics')).text());
    expect(metrics.value('fluxbase_functions_rejected_total', { reason: 'busy' })).toBe(3);
    expect(metrics.value('fluxbase_functions_starts_total', { kind: 'cold' })).toBe(2);
    expect(app.server.app.functions.runtime.stats().workers).toBe(0);
  });

  it('lets a function run past server.handler_timeout, up to its own timeout_seconds', async () => {
    const deploy = await app.fetch('/api/v1/functions', {
      method: 'POST', headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'patient', timeout_seconds: 10, code: 'export default () => new Promise((r) => setTimeout(() => r("done"), 1800));\n' }),
    });
    expect(deploy.status).toBe(201);
    const res = await app.fetch('/functions/v1/patient', { method: 'POST', headers: admin });
    expect(res.status).toBe(200);
    expect(await res.json()).toBe('done');
    // Other routes keep the server's deadline.
    expect(app.server.config.server.handler_timeout).toBe(1000);
  });

  it('refuses a response over functions.max_response_size in a one-off process too', async () => {
    const deploy = await app.fetch('/api/v1/functions', {
      method: 'POST', headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'big', code: 'export default () => new Response(new Uint8Array(11 * 1024 * 1024));\n' }),
    });
    expect(deploy.status).toBe(201);
    const res = await app.fetch('/functions/v1/big', { method: 'POST', headers: admin });
    expect(res.status).toBe(500);
    const body = await res.json() as { code: string; message: string; details: { reason: string } };
    expect(body).toMatchObject({ code: 'FUNCTION_ERROR', details: { reason: 'invalid_response' } });
    expect(body.message).toMatch(/functions\.max_response_size/);
  });
});

describe('deploys under a short server.handler_timeout', () => {
  it('creates, updates and syncs functions whose module check takes longer than the server deadline', async () => {
    // 50 ms is shorter than any `deno check` run, so each deploy below outlives it.
    const short = await startTestApp(db.url, { overrides: { server: { handler_timeout: '50ms' } } });
    try {
      const headers = { ...admin, authorization: `Bearer ${short.keys.service_role}`, 'content-type': 'application/json' };
      const code = 'export default (req: Request): Response => new Response(req.method);\n';
      const created = await short.fetch('/api/v1/functions', { method: 'POST', headers, body: JSON.stringify({ name: 'quick-deploy', code }) });
      expect(created.status).toBe(201);
      const updated = await short.fetch('/api/v1/functions/quick-deploy', { method: 'PATCH', headers, body: JSON.stringify({ code: code.replace('req.method', '"v2"') }) });
      expect(updated.status).toBe(200);
      const synced = await short.fetch('/api/v1/admin/functions/sync', {
        method: 'POST', headers, body: JSON.stringify({ namespace: 'short', functions: [{ name: 'synced', code }] }),
      });
      expect(synced.status).toBe(200);
      expect(await synced.json()).toMatchObject({ summary: { created: 1, errors: 0 } });
    } finally {
      await short.close();
    }
  }, 60_000);
});
