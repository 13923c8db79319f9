// What a `from()` request resolves to for each server answer: the `/api/v1` write shapes
// normalised to rows, single/maybeSingle checks, counts, cursors, errors and
// throwOnError (canned responses from a stub `fetch`, no server involved).
import { describe, expect, it } from 'vitest';
import { createClient, FluxbaseError, type FluxbaseClient } from '../index.ts';

function answering(response: () => Response | Promise<Response>): FluxbaseClient {
  return createClient('http://api.test', 'anon-key', { fetch: async () => response() });
}

// Reason phrases as an HTTP/1.1 server sends them (Response.json leaves statusText empty).
const REASON: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 206: 'Partial Content', 400: 'Bad Request', 406: 'Not Acceptable' };
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) => () => Response.json(body, { status, statusText: REASON[status] ?? '', headers });
const empty = (status: number, headers: Record<string, string> = {}) => () => new Response(null, { status, headers });

describe('reads', () => {
  it('resolves to rows with status and statusText, count null unless asked', async () => {
    const res = await answering(json([{ id: 1 }], 200, { 'Content-Range': '0-0/*' })).from('items').select();
    expect(res).toEqual({ data: [{ id: 1 }], error: null, count: null, status: 200, statusText: 'OK', nextCursor: null });
  });

  it.each([['0-9/42', 42], ['*/0', 0], ['10-19/*', null], ['', null]])('reads the count from Content-Range %j', async (range, count) => {
    const res = await answering(json([], 206, range === '' ? {} : { 'Content-Range': range })).from('items').select('*', { count: 'exact' });
    expect(res.count).toBe(count);
    expect(res.status).toBe(206);
  });

  it('head: true gives no data but the count', async () => {
    const res = await answering(empty(200, { 'Content-Range': '0-24/25' })).from('items').select('*', { count: 'exact', head: true });
    expect(res).toMatchObject({ data: null, error: null, count: 25, status: 200 });
  });

  it('exposes X-Next-Cursor as nextCursor', async () => {
    const res = await answering(json([{ id: 1 }], 200, { 'X-Next-Cursor': 'eyJ2IjoxfQ' })).from('items').select().cursor('id').limit(1);
    expect(res.nextCursor).toBe('eyJ2IjoxfQ');
  });

  it('single() returns the object the server sent', async () => {
    const res = await answering(json({ id: 1 }, 200)).from('items').select().eq('id', 1).single();
    expect(res).toMatchObject({ data: { id: 1 }, error: null });
  });

  it('single() passes the server refusal through with its real status and code', async () => {
    const res = await answering(json({ error: 'Single object expected', code: 'SINGLE_OBJECT_EXPECTED', request_id: 'r' }, 406)).from('items').select().single();
    expect(res).toMatchObject({ data: null, count: null, status: 406, error: { code: 'SINGLE_OBJECT_EXPECTED', status: 406, requestId: 'r' } });
  });

  it.each<[unknown[], unknown]>([[[], null], [[{ id: 1 }], { id: 1 }]])('maybeSingle() maps %j to %j', async (rows, data) => {
    const res = await answering(json(rows)).from('items').select().maybeSingle();
    expect(res).toMatchObject({ data, error: null, status: 200 });
  });

  it('maybeSingle() with several rows is SINGLE_OBJECT_EXPECTED (406)', async () => {
    const res = await answering(json([{ id: 1 }, { id: 2 }], 200, { 'X-Request-ID': 'rid' })).from('items').select().maybeSingle();
    expect(res.data).toBeNull();
    expect(res.status).toBe(406);
    expect(res.statusText).toBe('Not Acceptable');
    expect(res.error).toBeInstanceOf(FluxbaseError);
    expect(res.error).toMatchObject({ code: 'SINGLE_OBJECT_EXPECTED', status: 406, details: { rows: 2 }, requestId: 'rid' });
  });

  it('csv() returns the text', async () => {
    const res = await answering(() => new Response('id\n1\n', { headers: { 'Content-Type': 'text/csv' } })).from('items').select().csv();
    expect(res.data).toBe('id\n1\n');
  });
});

describe('writes', () => {
  it.each<[string, () => Response, (c: FluxbaseClient) => PromiseLike<{ data: unknown }>, unknown]>([
    ['object insert: the object becomes one row', json({ id: 1 }, 201), (c) => c.from('t').insert({ a: 1 }).select(), [{ id: 1 }]],
    ['array insert stays an array', json([{ id: 1 }, { id: 2 }], 201), (c) => c.from('t').insert([{ a: 1 }, { a: 2 }]).select(), [{ id: 1 }, { id: 2 }]],
    ['skipped ignore-duplicates insert (null) is no rows', json(null, 201), (c) => c.from('t').upsert({ id: 1 }, { ignoreDuplicates: true }).select(), []],
    ['DELETE {affected, records} becomes the records', json({ affected: 2, records: [{ id: 1 }, { id: 2 }] }), (c) => c.from('t').delete().eq('a', 1).select(), [{ id: 1 }, { id: 2 }]],
    ['PATCH array stays an array', json([{ id: 1 }]), (c) => c.from('t').update({ a: 1 }).eq('id', 1).select(), [{ id: 1 }]],
    ['without select() data is null, even if a body came', json({ id: 1 }, 201), (c) => c.from('t').insert({ a: 1 }), null],
    ['return=minimal empty body is null', empty(204), (c) => c.from('t').delete().eq('a', 1), null],
    ['single() on a write keeps the object', json({ id: 1 }, 201), (c) => c.from('t').insert({ a: 1 }).select().single(), { id: 1 }],
    ['single() on a write answered with one-row array', json([{ id: 7 }]), (c) => c.from('t').update({ a: 1 }).eq('id', 7).select().single(), { id: 7 }],
    ['single() on DELETE records', json({ affected: 1, records: [{ id: 3 }] }), (c) => c.from('t').delete().eq('id', 3).select().single(), { id: 3 }],
    ['maybeSingle() on a write with no rows', json([]), (c) => c.from('t').update({ a: 1 }).eq('id', 9).select().maybeSingle(), null],
  ])('%s', async (_name, response, build, data) => {
    const res = await build(answering(response));
    expect(res).toMatchObject({ data, error: null });
  });

  it('reads the write count from Content-Range */n', async () => {
    const res = await answering(empty(204, { 'Content-Range': '*/3' })).from('t').delete({ count: 'exact' }).eq('a', 1);
    expect(res).toMatchObject({ data: null, error: null, count: 3, status: 204 });
  });

  it('single() on a write that touched two rows is an error', async () => {
    const res = await answering(json([{ id: 1 }, { id: 2 }])).from('t').update({ a: 1 }).eq('b', 1).select().single();
    expect(res.error).toMatchObject({ code: 'SINGLE_OBJECT_EXPECTED', status: 406 });
  });
});

describe('failures', () => {
  const unknownColumn = json({ error: 'Unknown column', code: 'UNKNOWN_COLUMN', message: 'Column "nope" does not exist', hint: 'Did you mean "note"?', request_id: 'rid-1' }, 400);

  it('keeps the real status and code and never throws', async () => {
    const res = await answering(unknownColumn).from('items').select('nope');
    expect(res).toMatchObject({ data: null, count: null, status: 400, statusText: 'Bad Request', nextCursor: null });
    expect(res.error).toMatchObject({ code: 'UNKNOWN_COLUMN', status: 400, hint: 'Did you mean "note"?', requestId: 'rid-1' });
  });

  it('throwOnError() rejects with the FluxbaseError', async () => {
    const err = await answering(unknownColumn).from('items').select('nope').throwOnError().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(FluxbaseError);
    expect(err).toMatchObject({ code: 'UNKNOWN_COLUMN', status: 400 });
  });

  it('throwOnError() resolves normally on success', async () => {
    const res = await answering(json([{ id: 1 }])).from('items').select().throwOnError();
    expect(res.data).toEqual([{ id: 1 }]);
  });

  it('reports a network failure as status 0', async () => {
    const res = await answering(() => Promise.reject(new TypeError('fetch failed'))).from('items').select();
    expect(res).toMatchObject({ data: null, count: null, status: 0, statusText: '', error: { code: 'NETWORK_ERROR', status: 0 } });
  });

  it('abortSignal() cancels with ABORTED', async () => {
    const controller = new AbortController();
    controller.abort();
    const client = createClient('http://api.test', 'k', {
      fetch: (_input, init) => new Promise((_resolve, reject) => {
        if (init?.signal?.aborted) reject(init.signal.reason);
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      }),
    });
    const res = await client.from('items').select().abortSignal(controller.signal);
    expect(res.error).toMatchObject({ code: 'ABORTED', status: 0 });
  });

  it('sends again each time the builder is awaited', async () => {
    let calls = 0;
    const query = answering(() => { calls++; return Response.json([]); }).from('items').select();
    await query;
    await query;
    expect(calls).toBe(2);
  });
});
