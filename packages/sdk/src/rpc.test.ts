// `client.rpc`: the requests it sends (path, body) and how the `/api/v1/rpc` answers map
// to `{data, error, count, status, statusText, executionId}` (stub fetch, no server).
import { describe, expect, it } from 'vitest';
import { createClient, type FluxbaseClient } from './index.ts';

interface Sent { method: string; path: string; search: string; body: unknown }

function recorder(...responses: Array<() => Response>): { client: FluxbaseClient; sent: Sent[] } {
  const sent: Sent[] = [];
  let i = 0;
  const client = createClient('http://api.test', 'anon-key', {
    fetch: async (input, init) => {
      const url = new URL(String(input));
      sent.push({ method: init?.method ?? 'GET', path: url.pathname, search: url.search, body: typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body });
      const respond = responses[Math.min(i++, responses.length - 1)];
      return respond ? respond() : Response.json({});
    },
  });
  return { client, sent };
}

const json = (body: unknown, status = 200) => () => Response.json(body, { status, statusText: status === 200 ? 'OK' : '' });
const completed = (result: unknown, rows = 1) => json({ execution_id: 'e-1', status: 'completed', result, rows_returned: rows, duration_ms: 3 });

describe('rpc()', () => {
  it('POSTs {params} to the default namespace and returns the result as data', async () => {
    const { client, sent } = recorder(completed(3));
    const res = await client.rpc('add_numbers', { a: 1, b: 2 });
    expect(sent).toEqual([{ method: 'POST', path: '/api/v1/rpc/default/add_numbers', search: '', body: { params: { a: 1, b: 2 } } }]);
    expect(res).toEqual({ data: 3, error: null, count: null, status: 200, statusText: 'OK', nextCursor: null, executionId: 'e-1' });
  });

  it('sends empty params without args, a namespace when asked, and the schema of schema(s).rpc', async () => {
    const { client, sent } = recorder(completed(null));
    await client.rpc('now');
    await client.rpc('fn', { x: 1 }, { namespace: 'billing' });
    await client.schema('analytics').rpc('daily');
    expect(sent.map((s) => [s.path, s.body])).toEqual([
      ['/api/v1/rpc/default/now', { params: {} }],
      ['/api/v1/rpc/billing/fn', { params: { x: 1 } }],
      ['/api/v1/rpc/analytics/daily', { params: {} }],
    ]);
  });

  it('returns set results as arrays, count from rows_returned when asked, nothing for head', async () => {
    const rows = [{ id: 1 }, { id: 2 }];
    const { client } = recorder(completed(rows, 2));
    expect(await client.rpc('items_over', { min_qty: 1 })).toMatchObject({ data: rows, count: null });
    expect(await client.rpc('items_over', { min_qty: 1 }, { count: 'exact' })).toMatchObject({ data: rows, count: 2 });
    expect(await client.rpc('items_over', { min_qty: 1 }, { head: true, count: 'exact' })).toMatchObject({ data: null, count: 2, error: null });
  });

  it('queues with async: true and returns the pending execution', async () => {
    const { client, sent } = recorder(json({ execution_id: 'e-9', status: 'pending' }, 202));
    const res = await client.rpc('slow', { n: 1 }, { async: true });
    expect(sent[0]?.body).toEqual({ params: { n: 1 }, async: true });
    expect(res).toMatchObject({ data: { execution_id: 'e-9', status: 'pending' }, error: null, status: 202, executionId: 'e-9' });
  });

  it('passes errors through with their status and code', async () => {
    const { client } = recorder(json({ error: 'Function not found', code: 'FUNCTION_NOT_FOUND', request_id: 'r' }, 404));
    const res = await client.rpc('nope');
    expect(res).toMatchObject({ data: null, count: null, status: 404, executionId: null, error: { code: 'FUNCTION_NOT_FOUND', status: 404 } });
  });

  it('reports a body that is not an execution as INVALID_RESPONSE', async () => {
    const { client } = recorder(json([1, 2]));
    expect((await client.rpc('fn')).error).toMatchObject({ code: 'INVALID_RESPONSE', status: 200 });
  });
});

describe('rpc helpers', () => {
  const record = { execution_id: 'e-1', status: 'completed', result: 5, created_at: '2026-01-01T00:00:00Z' };

  it('getStatus reads the execution record', async () => {
    const { client, sent } = recorder(json(record));
    expect(await client.rpc.getStatus('e-1')).toEqual({ data: record, error: null });
    expect(sent[0]).toMatchObject({ method: 'GET', path: '/api/v1/rpc/executions/e-1', search: '' });
  });

  it('getLogs sends after= and reads entries (or logs)', async () => {
    const { client, sent } = recorder(json({ entries: [{ message: 'a' }], logs: [{ message: 'a' }], count: 1 }), json({ logs: [{ message: 'b' }], count: 1 }));
    expect((await client.rpc.getLogs('e-1', 4)).data).toEqual([{ message: 'a' }]);
    expect((await client.rpc.getLogs('e-1')).data).toEqual([{ message: 'b' }]);
    expect(sent.map((s) => s.path + s.search)).toEqual(['/api/v1/rpc/executions/e-1/logs?after=4', '/api/v1/rpc/executions/e-1/logs']);
  });

  it('list reads procedures, optionally of one namespace', async () => {
    const procedure = { name: 'f', namespace: 'public', description: null, arguments: [], returns: 'integer', returns_set: false, volatility: 'volatile' };
    const { client, sent } = recorder(json({ procedures: [procedure], count: 1 }));
    expect((await client.rpc.list('public')).data).toEqual([procedure]);
    expect(sent[0]?.path + (sent[0]?.search ?? '')).toBe('/api/v1/rpc/procedures?namespace=public');
  });

  it('waitForCompletion polls until the execution finishes', async () => {
    const { client, sent } = recorder(json({ ...record, status: 'pending' }), json({ ...record, status: 'running' }), json(record));
    const res = await client.rpc.waitForCompletion('e-1', { intervalMs: 1 });
    expect(res.data?.status).toBe('completed');
    expect(sent).toHaveLength(3);
  });

  it('waitForCompletion gives up with TIMEOUT', async () => {
    const { client } = recorder(json({ ...record, status: 'running' }));
    const res = await client.rpc.waitForCompletion('e-1', { intervalMs: 5, timeoutMs: 20 });
    expect(res.error).toMatchObject({ code: 'TIMEOUT' });
  });
});
