// RPC on both mounts: named JSON args, GET args for stable/immutable functions, a single
// unnamed JSON parameter, set-returning functions filtered like tables, scalars, void,
// errors (unknown, volatile on GET, raised exceptions), and the procedures listing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startRestApp, stopRestApp } from './harness/rest-fixture.ts';
import type { TestApp, TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  ({ db, app } = await startRestApp());
});
afterAll(() => stopRestApp(db, app));

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => request(app, method, path, body, headers);

describe('/rest/v1/rpc', () => {
  it('calls with named JSON arguments and with GET query arguments', async () => {
    expect((await call('POST', '/rest/v1/rpc/add', { a: 2, b: 3 })).json).toBe(5);
    expect((await call('GET', '/rest/v1/rpc/add?a=4&b=5')).json).toBe(9);
    expect((await call('POST', '/rest/v1/rpc/bump', {})).json).toBe(2);
    expect((await call('POST', '/rest/v1/rpc/bump', { n: 41 })).json).toBe(42);
  });

  it('passes the whole body to a single unnamed jsonb parameter', async () => {
    expect((await call('POST', '/rest/v1/rpc/echo_json', { x: [1, { y: 'z' }] })).json).toEqual({ x: [1, { y: 'z' }] });
  });

  it('filters, selects, orders and counts set-returning results like a table, with embeds', async () => {
    const r = await call('GET', '/rest/v1/rpc/posts_by?author=1&select=id,title,authors!posts_author_id_fkey(name)&order=id.desc&id=gt.0', undefined, { Prefer: 'count=exact' });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual([{ id: 2, title: 'Second thoughts', authors: { name: 'Ada' } }, { id: 1, title: 'Hello world', authors: { name: 'Ada' } }]);
    expect(r.res.headers.get('content-range')).toBe('0-1/2');
    expect((await call('POST', '/rest/v1/rpc/squares', { n: 4 })).json).toEqual([1, 4, 9, 16]);
    expect((await call('POST', '/rest/v1/rpc/author_summary', { aid: 1 })).json).toEqual([{ name: 'Ada', posts: 2 }]);
    expect((await call('POST', '/rest/v1/rpc/author_summary?select=posts', { aid: 1 })).json).toEqual([{ posts: 2 }]);
  });

  it('answers 204 for void functions', async () => {
    expect((await call('POST', '/rest/v1/rpc/nothing', {})).status).toBe(204);
  });

  it('refuses GET on volatile functions, unknown functions and bad argument sets', async () => {
    const v = await call('GET', '/rest/v1/rpc/bump?n=1');
    expect(v.status).toBe(405);
    expect(v.json.code).toBe('PGRST101');
    const unknown = await call('POST', '/rest/v1/rpc/ad', { a: 1, b: 2 });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('PGRST202');
    expect(unknown.json.hint).toMatch(/add/);
    const args = await call('POST', '/rest/v1/rpc/add', { a: 1, c: 2 });
    expect(args.status).toBe(404);
    const badType = await call('POST', '/rest/v1/rpc/add', { a: 'one', b: 2 });
    expect(badType.status).toBe(400);
  });

  it('passes RAISE EXCEPTION messages through as 400', async () => {
    const r = await call('POST', '/rest/v1/rpc/fail', { msg: 'nope, not today' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'P0001', message: 'nope, not today' });
    // The raised text is the envelope's `error`, which the Fluxbase SDK shows.
    const f = await call('POST', '/api/v1/rpc/default/fail', { params: { msg: 'nope' } });
    expect(f.status).toBe(400);
    expect(f.json).toMatchObject({ code: 'RAISED_EXCEPTION', error: 'nope' });
  });
});

describe('/api/v1/rpc', () => {
  it('returns the execution envelope with the result', async () => {
    const r = await call('POST', '/api/v1/rpc/default/add', { params: { a: 20, b: 22 } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'completed', result: 42, rows_returned: 1 });
    expect(r.json.execution_id).toMatch(/^[0-9a-f-]{36}$/);
    const set = await call('POST', '/api/v1/rpc/public/posts_by', { params: { author: 2 } });
    expect(set.json.result.map((p: { id: number }) => p.id)).toEqual([3]);
    expect(set.json.rows_returned).toBe(1);
    expect((await call('POST', '/api/v1/rpc/default/nothing')).json.result).toBeNull();
  });

  it('validates the body and names unknown functions', async () => {
    expect((await call('POST', '/api/v1/rpc/default/add', [1, 2])).json.code).toBe('INVALID_REQUEST_BODY');
    expect((await call('POST', '/api/v1/rpc/default/add', { params: { a: 1, b: 2 }, async: 'yes' })).status).toBe(400);
    expect((await call('POST', '/api/v1/rpc/default/nope', {})).json.code).toBe('FUNCTION_NOT_FOUND');
    expect((await call('POST', '/api/v1/rpc/auth/uid', {})).json.code).toBe('SCHEMA_NOT_EXPOSED');
  });

  it('lists procedures only to signed-in users and service keys', async () => {
    expect((await call('GET', '/api/v1/rpc/procedures')).json).toMatchObject({ code: 'MISSING_AUTHENTICATION' });
    expect((await call('GET', '/api/v1/rpc/procedures', undefined, { apikey: app.keys.anon })).status).toBe(401);
  });

  it('lists only the functions the caller may execute', async () => {
    await db.sql`create function public.admin_only() returns int language sql as 'select 1'`;
    await db.sql`revoke execute on function public.admin_only() from public, anon, authenticated`;
    await app.server.schema.reload();
    const names = async (token: string) =>
      ((await call('GET', '/api/v1/rpc/procedures', undefined, { Authorization: `Bearer ${token}` })).json.procedures as { name: string }[]).map((p) => p.name);
    expect(await names(app.userToken('11111111-1111-4111-8111-111111111111'))).not.toContain('admin_only');
    expect(await names(app.keys.service_role)).toContain('admin_only');
  });

  it('lists procedures of the exposed schemas', async () => {
    const r = await call('GET', '/api/v1/rpc/procedures', undefined, { Authorization: `Bearer ${app.keys.service_role}` });
    expect(r.json.count).toBe(r.json.procedures.length);
    const add = r.json.procedures.find((p: { name: string }) => p.name === 'add');
    expect(add).toEqual({
      name: 'add', namespace: 'public', description: null,
      arguments: [{ name: 'a', type: 'integer', has_default: false }, { name: 'b', type: 'integer', has_default: false }],
      returns: 'integer', returns_set: false, volatility: 'immutable',
    });
    expect(r.json.procedures.some((p: { namespace: string }) => p.namespace === 'auth')).toBe(false);
  });
});
