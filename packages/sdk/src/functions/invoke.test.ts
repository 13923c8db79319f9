// `client.functions.invoke` without a server: the request it sends (URL, method, headers,
// body encoding) and how responses and error envelopes become `{data, error, …}`.
import { describe, expect, it } from 'vitest';
import { createClient, type FluxbaseClient } from '../index.ts';

interface Sent { url: URL; method: string; headers: Headers; body: RequestInit['body'] }

function recorder(respond: (req: Sent) => Response | Promise<Response> = () => Response.json({ ok: true })): { client: FluxbaseClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = createClient('http://api.test', 'anon-key', {
    fetch: async (input, init) => {
      const req = { url: new URL(String(input)), method: init?.method ?? 'GET', headers: new Headers(init?.headers), body: init?.body };
      sent.push(req);
      return respond(req);
    },
  });
  return { client, sent };
}

const bytes = new Uint8Array([0, 1, 2, 255]);

describe('invoke: the request', () => {
  it('POSTs to /api/v1/functions/:name/invoke with the client key by default', async () => {
    const { client, sent } = recorder();
    await client.functions.invoke('hello');
    expect(sent[0]?.method).toBe('POST');
    expect(sent[0]?.url.toString()).toBe('http://api.test/api/v1/functions/hello/invoke');
    expect(sent[0]?.headers.get('authorization')).toBe('Bearer anon-key');
    expect(sent[0]?.headers.get('apikey')).toBe('anon-key');
    expect(sent[0]?.body).toBeUndefined();
  });

  it.each([
    ['name only', 'hello', {}, '/api/v1/functions/hello/invoke'],
    ['a name needing encoding', 'a b/c', {}, '/api/v1/functions/a%20b%2Fc/invoke'],
    ['a subpath', 'api', { path: '/users/42/' }, '/api/v1/functions/api/invoke/users/42'],
    ['subpath segments encoded', 'api', { path: 'a b/c?d' }, '/api/v1/functions/api/invoke/a%20b/c%3Fd'],
    ['a namespace', 'hello', { namespace: 'billing' }, '/api/v1/functions/hello/invoke?namespace=billing'],
    ['query and namespace', 'hello', { query: { q: 'x', tag: ['a', 'b'], skip: null }, namespace: 'ns' }, '/api/v1/functions/hello/invoke?q=x&tag=a&tag=b&namespace=ns'],
  ] as const)('builds the URL: %s', async (_case, name, options, expected) => {
    const { client, sent } = recorder();
    await client.functions.invoke(name, options);
    expect(sent[0]!.url.pathname + sent[0]!.url.search).toBe(expected);
  });

  it('uses the given method, the session token after setAuth, and lets per-call headers win', async () => {
    const { client, sent } = recorder();
    client.setAuth('user-token');
    await client.functions.invoke('hello', { method: 'DELETE', headers: { 'X-Custom': '1' } });
    await client.functions.invoke('hello', { method: 'GET', headers: { Authorization: 'Bearer other' } });
    expect(sent.map((s) => [s.method, s.headers.get('authorization'), s.headers.get('x-custom')])).toEqual([
      ['DELETE', 'Bearer user-token', '1'],
      ['GET', 'Bearer other', null],
    ]);
  });

  const form = new FormData();
  form.append('field', 'value');
  const params = new URLSearchParams({ a: '1' });
  const blob = new Blob(['<svg/>'], { type: 'image/svg+xml' });
  const untyped = new Blob([bytes]);

  it.each<[string, unknown, Record<string, string>, string | null, (body: RequestInit['body']) => unknown]>([
    ['an object as JSON', { name: 'Ada', n: [1, 2] }, {}, 'application/json', (b) => JSON.parse(b as string)],
    ['an array as JSON', [1, 'two'], {}, 'application/json', (b) => JSON.parse(b as string)],
    ['a number as JSON', 42, {}, 'application/json', (b) => JSON.parse(b as string)],
    ['a string as text', 'héllo', {}, 'text/plain;charset=UTF-8', (b) => b],
    ['a pre-serialized string with its own type', '{"a":1}', { 'Content-Type': 'application/json' }, 'application/json', (b) => b],
    ['a Uint8Array as octets', bytes, {}, 'application/octet-stream', (b) => b],
    ['an ArrayBuffer as octets', bytes.buffer, {}, 'application/octet-stream', (b) => b],
    ['a typed Blob with its type', blob, {}, 'image/svg+xml', (b) => b],
    ['an untyped Blob as octets', untyped, {}, 'application/octet-stream', (b) => b],
    ['FormData untouched (fetch sets the boundary)', form, {}, null, (b) => b],
    ['URLSearchParams untouched', params, {}, null, (b) => b],
    ['an object with a caller type', { a: 1 }, { 'content-type': 'application/vnd.x+json' }, 'application/vnd.x+json', (b) => JSON.parse(b as string)],
  ])('encodes %s', async (_case, body, headers, contentType, read) => {
    const { client, sent } = recorder();
    await client.functions.invoke('echo', { body, headers });
    expect(sent[0]?.headers.get('content-type')).toBe(contentType);
    expect(read(sent[0]?.body)).toEqual(body);
  });

  it('sends no body for null and undefined', async () => {
    const { client, sent } = recorder();
    await client.functions.invoke('echo', { body: null });
    await client.functions.invoke('echo', { body: undefined });
    expect(sent.map((s) => [s.body, s.headers.get('content-type')])).toEqual([[undefined, null], [undefined, null]]);
  });

  it('refuses a body on GET and a missing name, as programming errors', async () => {
    const { client, sent } = recorder();
    await expect(client.functions.invoke('echo', { method: 'GET', body: { a: 1 } })).rejects.toThrow(TypeError);
    await expect(client.functions.invoke('')).rejects.toThrow(TypeError);
    expect(sent).toHaveLength(0);
  });
});

describe('invoke: the response', () => {
  const headers = (type: string | null, extra: Record<string, string> = {}) => {
    const h = new Headers(extra);
    if (type !== null) h.set('content-type', type);
    return h;
  };

  it.each<[string, () => Response, unknown]>([
    ['JSON parsed', () => new Response('{"got":[1,2]}', { headers: headers('application/json; charset=utf-8') }), { got: [1, 2] }],
    ['+json parsed', () => new Response('{"a":1}', { headers: headers('application/problem+json') }), { a: 1 }],
    ['a JSON scalar', () => new Response('3', { headers: headers('application/json') }), 3],
    ['text/plain as a string', () => new Response('hi there', { headers: headers('text/plain;charset=UTF-8') }), 'hi there'],
    ['text/html as a string', () => new Response('<p>x</p>', { headers: headers('text/html') }), '<p>x</p>'],
    ['an empty JSON body as null', () => new Response('', { headers: headers('application/json') }), null],
    ['204 as null', () => new Response(null, { status: 204 }), null],
    ['an empty untyped body as null', () => new Response(null, { headers: headers(null) }), null],
  ])('decodes %s', async (_case, respond, expected) => {
    const { client } = recorder(respond);
    const res = await client.functions.invoke('fn');
    expect(res.error).toBeNull();
    expect(res.data).toEqual(expected);
  });

  it('hands binary bodies back as a Blob with their bytes and type', async () => {
    const { client } = recorder(() => new Response(bytes, { headers: headers('application/octet-stream') }));
    const { data, error } = await client.functions.invoke<Blob>('fn');
    expect(error).toBeNull();
    expect(data).toBeInstanceOf(Blob);
    expect(data?.type).toBe('application/octet-stream');
    expect(new Uint8Array(await data!.arrayBuffer())).toEqual(bytes);
  });

  it('exposes status, headers and the execution id', async () => {
    const { client } = recorder(() => Response.json({ ok: 1 }, { status: 201, statusText: 'Created', headers: { 'X-Fluxbase-Execution-Id': 'exec-1', 'X-Extra': 'y' } }));
    const res = await client.functions.invoke('fn');
    expect(res).toMatchObject({ data: { ok: 1 }, error: null, status: 201, statusText: 'Created', executionId: 'exec-1' });
    expect(res.headers.get('x-extra')).toBe('y');
  });

  it('reports malformed JSON from a function as INVALID_RESPONSE', async () => {
    const { client } = recorder(() => new Response('{nope', { headers: headers('application/json', { 'X-Request-ID': 'r-1' }) }));
    expect((await client.functions.invoke('fn')).error).toMatchObject({ code: 'INVALID_RESPONSE', status: 200, requestId: 'r-1' });
  });
});

describe('invoke: errors', () => {
  const envelope = (status: number, body: Record<string, unknown>, execId?: string) => () =>
    Response.json({ request_id: 'req-1', ...body }, { status, headers: execId === undefined ? {} : { 'X-Fluxbase-Execution-Id': execId } });

  it.each<[string, () => Response, Record<string, unknown>]>([
    ['FUNCTION_NOT_FOUND', envelope(404, { error: 'Function not found', code: 'FUNCTION_NOT_FOUND', details: { name: 'x' } }), { status: 404, code: 'FUNCTION_NOT_FOUND', error: 'Function not found', details: { name: 'x' } }],
    ['FUNCTION_DISABLED', envelope(403, { error: 'Function is disabled', code: 'FUNCTION_DISABLED' }), { status: 403, code: 'FUNCTION_DISABLED' }],
    ['MISSING_AUTHENTICATION', envelope(401, { error: 'Authentication required', code: 'MISSING_AUTHENTICATION' }), { status: 401, code: 'MISSING_AUTHENTICATION' }],
    ['FUNCTION_TIMEOUT', envelope(504, { error: 'Function timed out', code: 'FUNCTION_TIMEOUT', details: { reason: 'timeout' } }), { status: 504, code: 'FUNCTION_TIMEOUT', details: { reason: 'timeout' } }],
    ['FUNCTION_ERROR with logs', envelope(500, { error: 'Function failed', code: 'FUNCTION_ERROR', message: 'boom', details: { reason: 'exception', logs: { stdout: 'a\n', stderr: 'Error: boom' } }, hint: 'See the logs' }),
      { status: 500, code: 'FUNCTION_ERROR', message: 'boom', hint: 'See the logs', details: { reason: 'exception', logs: { stdout: 'a\n', stderr: 'Error: boom' } } }],
    ["a function's own JSON 400", () => Response.json({ problem: 'bad input' }, { status: 400 }), { status: 400, code: 'HTTP_ERROR', details: { problem: 'bad input' } }],
    ["a function's own text 418", () => new Response('short and stout', { status: 418 }), { status: 418, code: 'HTTP_ERROR', message: 'short and stout' }],
    ['a proxy page', () => new Response('<html>bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }), { status: 502, code: 'HTTP_ERROR' }],
  ])('parses %s', async (_case, respond, expected) => {
    const { client } = recorder(respond);
    const res = await client.functions.invoke('fn');
    expect(res.data).toBeNull();
    expect(res.status).toBe(expected.status);
    expect(res.error).toMatchObject(expected);
  });

  it('keeps the request id and execution id of a failed run', async () => {
    const { client } = recorder(envelope(500, { error: 'Function failed', code: 'FUNCTION_ERROR', details: { reason: 'exit' } }, 'exec-9'));
    const res = await client.functions.invoke('fn');
    expect(res.executionId).toBe('exec-9');
    expect(res.error?.requestId).toBe('req-1');
  });

  it('turns a network failure into NETWORK_ERROR with status 0', async () => {
    const { client } = recorder(() => { throw new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') }); });
    const res = await client.functions.invoke('fn');
    expect(res).toMatchObject({ data: null, status: 0, executionId: null, error: { code: 'NETWORK_ERROR', message: 'fetch failed: ECONNREFUSED' } });
  });

  // A fetch that never answers, rejecting only when its signal aborts (as fetch does).
  function hangingClient(): FluxbaseClient {
    return createClient('http://api.test', 'anon-key', {
      fetch: (_input, init) => new Promise<Response>((_resolve, reject) => {
        const abort = () => reject(new DOMException('aborted', 'AbortError'));
        if (init?.signal?.aborted) abort();
        else init?.signal?.addEventListener('abort', abort);
      }),
    });
  }

  it('times out with TIMEOUT after the per-call timeoutMs', async () => {
    const res = await hangingClient().functions.invoke('slow', { timeoutMs: 10 });
    expect(res.error).toMatchObject({ code: 'TIMEOUT', status: 0 });
  });

  it('reports a caller abort as ABORTED', async () => {
    const controller = new AbortController();
    const pending = hangingClient().functions.invoke('slow', { signal: controller.signal });
    controller.abort();
    expect((await pending).error).toMatchObject({ code: 'ABORTED' });
  });
});
