// The admin side of `client.functions` and `client.functions.secrets` without a server:
// method, path, query and body of each call, and how answers map to `{data, error}`.
import { describe, expect, it } from 'vitest';
import { createClient, type FluxbaseClient } from '../index.ts';

interface Sent { method: string; path: string; body: unknown }

function recorder(respond: () => Response = () => Response.json({})): { client: FluxbaseClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = createClient('http://api.test', 'service-key', {
    fetch: async (input, init) => {
      const url = new URL(String(input));
      sent.push({ method: init?.method ?? 'GET', path: url.pathname + url.search, body: typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body });
      return respond();
    },
  });
  return { client, sent };
}

const fn = { id: 'f-1', name: 'hello', namespace: 'default', enabled: true, version: 1, source: 'api' };
const deploy = { name: 'hello', code: 'export default () => new Response("hi")', allow_unauthenticated: true };

type Call = (c: FluxbaseClient) => Promise<unknown>;

describe('functions admin requests', () => {
  it.each<[string, Call, Sent]>([
    ['create', (c) => c.functions.create(deploy), { method: 'POST', path: '/api/v1/functions', body: deploy }],
    ['update', (c) => c.functions.update('hello', { enabled: false }), { method: 'PUT', path: '/api/v1/functions/hello', body: { enabled: false } }],
    ['update in a namespace', (c) => c.functions.update('hello', { description: 'd' }, { namespace: 'ns' }), { method: 'PUT', path: '/api/v1/functions/hello?namespace=ns', body: { description: 'd' } }],
    ['delete', (c) => c.functions.delete('hello', { namespace: 'ns' }), { method: 'DELETE', path: '/api/v1/functions/hello?namespace=ns', body: undefined }],
    ['list', (c) => c.functions.list(), { method: 'GET', path: '/api/v1/functions', body: undefined }],
    ['list a namespace', (c) => c.functions.list({ namespace: 'ns' }), { method: 'GET', path: '/api/v1/functions?namespace=ns', body: undefined }],
    ['get', (c) => c.functions.get('a/b'), { method: 'GET', path: '/api/v1/functions/a%2Fb', body: undefined }],
    ['executions', (c) => c.functions.executions('hello', { limit: 5 }), { method: 'GET', path: '/api/v1/functions/hello/executions?limit=5', body: undefined }],
    ['executions in a namespace', (c) => c.functions.executions('hello', { namespace: 'ns' }), { method: 'GET', path: '/api/v1/functions/hello/executions?namespace=ns', body: undefined }],
    ['getExecutions (upstream name)', (c) => c.functions.getExecutions('hello'), { method: 'GET', path: '/api/v1/functions/hello/executions', body: undefined }],
    ['sync', (c) => c.functions.sync({ functions: [deploy], options: { dry_run: true } }), { method: 'POST', path: '/api/v1/admin/functions/sync', body: { functions: [deploy], options: { dry_run: true } } }],
    ['reload', (c) => c.functions.reload(), { method: 'POST', path: '/api/v1/admin/functions/reload', body: undefined }],
    ['secrets.list', (c) => c.functions.secrets.list({ scope: 'namespace', namespace: 'ns' }), { method: 'GET', path: '/api/v1/secrets?scope=namespace&namespace=ns', body: undefined }],
    ['secrets.set', (c) => c.functions.secrets.set({ name: 'API_KEY', value: 'v', description: 'd' }), { method: 'POST', path: '/api/v1/secrets', body: { name: 'API_KEY', value: 'v', description: 'd' } }],
    ['secrets.create (upstream name)', (c) => c.functions.secrets.create({ name: 'K', value: 'v', scope: 'global' }), { method: 'POST', path: '/api/v1/secrets', body: { name: 'K', value: 'v', scope: 'global' } }],
    ['secrets.get', (c) => c.functions.secrets.get('API_KEY'), { method: 'GET', path: '/api/v1/secrets/by-name/API_KEY', body: undefined }],
    ['secrets.update', (c) => c.functions.secrets.update('API_KEY', { value: 'w' }, { namespace: 'ns' }), { method: 'PUT', path: '/api/v1/secrets/by-name/API_KEY?namespace=ns', body: { value: 'w' } }],
    ['secrets.delete', (c) => c.functions.secrets.delete('API_KEY'), { method: 'DELETE', path: '/api/v1/secrets/by-name/API_KEY', body: undefined }],
  ])('%s', async (_case, call, expected) => {
    const { client, sent } = recorder();
    await call(client);
    expect(sent).toEqual([expected]);
  });
});

describe('functions admin answers', () => {
  it('returns the object or list the route sends', async () => {
    expect(await recorder(() => Response.json(fn, { status: 201 })).client.functions.create(deploy)).toEqual({ data: fn, error: null });
    expect(await recorder(() => Response.json([fn])).client.functions.list()).toEqual({ data: [fn], error: null });
    const sync = { message: 'ok', namespace: 'default', summary: { created: 1, updated: 0, deleted: 0, unchanged: 0, errors: 0 }, details: { created: ['hello'] }, errors: [], dry_run: true };
    expect((await recorder(() => Response.json(sync)).client.functions.sync({ functions: [deploy] })).data).toEqual(sync);
  });

  it('answers null data for a 204 delete', async () => {
    const { client } = recorder(() => new Response(null, { status: 204 }));
    expect(await client.functions.delete('hello')).toEqual({ data: null, error: null });
    expect(await client.functions.secrets.delete('K')).toEqual({ data: null, error: null });
  });

  it('passes error envelopes through', async () => {
    const { client } = recorder(() => Response.json({ error: 'Admin required', code: 'ADMIN_REQUIRED', request_id: 'r-2' }, { status: 403 }));
    expect(await client.functions.list()).toMatchObject({ data: null, error: { status: 403, code: 'ADMIN_REQUIRED', requestId: 'r-2' } });
    expect(await client.functions.secrets.set({ name: 'K', value: 'v' })).toMatchObject({ data: null, error: { code: 'ADMIN_REQUIRED' } });
  });

  it.each<[string, () => Response, Call]>([
    ['a list that is an object', () => Response.json({ functions: [] }), (c) => c.functions.list()],
    ['a function that is an array', () => Response.json([fn]), (c) => c.functions.get('hello')],
    ['an empty create answer', () => new Response(null, { status: 201 }), (c) => c.functions.create(deploy)],
    ['executions as text', () => new Response('nope', { headers: { 'content-type': 'text/plain' } }), (c) => c.functions.executions('hello')],
  ])('reports %s as INVALID_RESPONSE', async (_case, respond, call) => {
    const { client } = recorder(respond);
    expect(await call(client)).toMatchObject({ data: null, error: { code: 'INVALID_RESPONSE' } });
  });
});
