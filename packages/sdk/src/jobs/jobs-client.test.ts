// `client.jobs` and `client.jobs.admin` without a server: method, path, query and body of each
// call (camelCase options in the server's names, a Date as RFC 3339), the list's page shape,
// and `wait` ending on a final status or its timeout.
import { describe, expect, it } from 'vitest';
import { createClient, type FluxbaseClient } from '../index.ts';

interface Sent { method: string; path: string; body: unknown }

function recorder(respond: (n: number) => Response = () => Response.json({})): { client: FluxbaseClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = createClient('http://api.test', 'service-key', {
    fetch: async (input, init) => {
      const url = new URL(String(input));
      sent.push({ method: init?.method ?? 'GET', path: url.pathname + url.search, body: typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body });
      return respond(sent.length);
    },
  });
  return { client, sent };
}

type Call = (c: FluxbaseClient) => Promise<unknown>;
const at = new Date('2030-01-02T03:04:05.000Z');

describe('jobs requests', () => {
  it.each<[string, Call, Sent]>([
    ['submit', (c) => c.jobs.submit('report'), { method: 'POST', path: '/api/v1/jobs/submit', body: { job_name: 'report' } }],
    ['submit with every option', (c) => c.jobs.submit('report', { n: 1 }, {
      namespace: 'ns', priority: 3, scheduledAt: at, maxRetries: 2, timeoutSeconds: 60, onBehalfOf: { userId: 'u-1', userRole: 'editor' },
    }), { method: 'POST', path: '/api/v1/jobs/submit', body: {
      job_name: 'report', payload: { n: 1 }, namespace: 'ns', priority: 3, scheduled_at: '2030-01-02T03:04:05.000Z', max_retries: 2, timeout_seconds: 60,
      on_behalf_of: { user_id: 'u-1', user_role: 'editor' },
    } }],
    ['submit with upstream\'s scheduled', (c) => c.jobs.submit('report', {}, { scheduled: '2030-01-01T00:00:00Z' }), { method: 'POST', path: '/api/v1/jobs/submit', body: { job_name: 'report', payload: {}, scheduled_at: '2030-01-01T00:00:00Z' } }],
    ['get', (c) => c.jobs.get('a/b'), { method: 'GET', path: '/api/v1/jobs/a%2Fb', body: undefined }],
    ['list', (c) => c.jobs.list({ status: 'failed', jobName: 'report', namespace: 'ns', limit: 5, offset: 10, includeResult: true }), {
      method: 'GET', path: '/api/v1/jobs?status=failed&job_name=report&namespace=ns&limit=5&offset=10&include_result=true', body: undefined,
    }],
    ['cancel', (c) => c.jobs.cancel('j-1'), { method: 'POST', path: '/api/v1/jobs/j-1/cancel', body: {} }],
    ['retry', (c) => c.jobs.retry('j-1'), { method: 'POST', path: '/api/v1/jobs/j-1/retry', body: {} }],
    ['getProgress', (c) => c.jobs.getProgress('j-1'), { method: 'GET', path: '/api/v1/jobs/j-1/progress', body: undefined }],
    ['getLogs', (c) => c.jobs.getLogs('j-1', 7), { method: 'GET', path: '/api/v1/jobs/j-1/logs?after_line=7', body: undefined }],
    ['admin.listFunctions', (c) => c.jobs.admin.listFunctions({ namespace: 'ns' }), { method: 'GET', path: '/api/v1/admin/jobs/functions?namespace=ns', body: undefined }],
    ['admin.getFunction', (c) => c.jobs.admin.getFunction('report'), { method: 'GET', path: '/api/v1/admin/jobs/functions/default/report', body: undefined }],
    ['admin.deployFunction', (c) => c.jobs.admin.deployFunction({ name: 'report', code: 'x', schedule: '@daily' }), { method: 'POST', path: '/api/v1/admin/jobs/functions', body: { name: 'report', code: 'x', schedule: '@daily' } }],
    ['admin.updateFunction', (c) => c.jobs.admin.updateFunction('report', { enabled: false }, 'ns'), { method: 'PUT', path: '/api/v1/admin/jobs/functions/ns/report', body: { enabled: false } }],
    ['admin.deleteFunction', (c) => c.jobs.admin.deleteFunction('report', 'ns'), { method: 'DELETE', path: '/api/v1/admin/jobs/functions/ns/report', body: undefined }],
    ['admin.sync', (c) => c.jobs.admin.sync({ namespace: 'ns', jobs: [{ name: 'a', code: 'x' }], options: { delete_missing: true } }), {
      method: 'POST', path: '/api/v1/admin/jobs/sync', body: { namespace: 'ns', jobs: [{ name: 'a', code: 'x' }], options: { delete_missing: true } },
    }],
    ['admin.listQueue', (c) => c.jobs.admin.listQueue({ status: 'pending' }), { method: 'GET', path: '/api/v1/admin/jobs/queue?status=pending', body: undefined }],
    ['admin.getQueueJob', (c) => c.jobs.admin.getQueueJob('j-1'), { method: 'GET', path: '/api/v1/admin/jobs/queue/j-1', body: undefined }],
    ['admin.cancelQueueJob', (c) => c.jobs.admin.cancelQueueJob('j-1'), { method: 'POST', path: '/api/v1/admin/jobs/queue/j-1/cancel', body: {} }],
    ['admin.retryQueueJob', (c) => c.jobs.admin.retryQueueJob('j-1'), { method: 'POST', path: '/api/v1/admin/jobs/queue/j-1/retry', body: {} }],
    ['admin.getQueueJobLogs', (c) => c.jobs.admin.getQueueJobLogs('j-1'), { method: 'GET', path: '/api/v1/admin/jobs/queue/j-1/logs', body: undefined }],
    ['admin.workers', (c) => c.jobs.admin.workers(), { method: 'GET', path: '/api/v1/admin/jobs/workers', body: undefined }],
    ['admin.stats', (c) => c.jobs.admin.stats(), { method: 'GET', path: '/api/v1/admin/jobs/stats', body: undefined }],
  ])('%s', async (_name, call, expected) => {
    const { client, sent } = recorder();
    await call(client);
    expect(sent).toEqual([expected]);
  });
});

describe('jobs answers', () => {
  it('hands the list back as the server\'s page, and refuses a bare array', async () => {
    const page = { jobs: [{ id: 'j-1' }], limit: 50, offset: 0 };
    expect(await recorder(() => Response.json(page)).client.jobs.list()).toEqual({ data: page, error: null });
    const bare = await recorder(() => Response.json([{ id: 'j-1' }])).client.jobs.list();
    expect(bare.error).toMatchObject({ code: 'INVALID_RESPONSE', status: 200 });
  });

  it('wait polls until a final status, and times out on a job that stays pending', async () => {
    const statuses = ['pending', 'running', 'interrupted', 'completed'];
    const { client, sent } = recorder((n) => Response.json({ id: 'j-1', status: statuses[n - 1] }));
    expect((await client.jobs.wait('j-1', { intervalMs: 1 })).data).toMatchObject({ status: 'completed' });
    expect(sent).toHaveLength(4);
    const stuck = recorder(() => Response.json({ id: 'j-1', status: 'pending' }));
    expect((await stuck.client.jobs.wait('j-1', { timeoutMs: 30, intervalMs: 10 })).error).toMatchObject({ code: 'TIMEOUT', status: 0 });
    const aborted = recorder(() => Response.json({ id: 'j-1', status: 'pending' }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    expect((await aborted.client.jobs.wait('j-1', { intervalMs: 1000, timeoutMs: 10_000, signal: controller.signal })).error).toMatchObject({ code: 'ABORTED' });
  });
});
