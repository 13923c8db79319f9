// `client.rpc` against the real server (`POST /api/v1/rpc/:namespace/:fn`): scalar and
// set-returning functions, arguments, the caller's identity, other namespaces, the
// procedure list and the errors a caller can meet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../../server/test/harness/index.ts';
import { createClient, type FluxbaseClient } from '../src/index.ts';
import type { Database } from './fixtures/database.ts';
import { createFixtureSchema, FIXTURE_OVERRIDES } from './fixtures/schema.ts';

let db: TestDatabase;
let app: TestApp;
let anon: FluxbaseClient<Database>;

beforeAll(async () => {
  db = await createTestDatabase();
  await createFixtureSchema(db.sql);
  app = await startTestApp(db.url, { overrides: FIXTURE_OVERRIDES });
  anon = createClient<Database>(app.url, app.keys.anon);
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

describe('rpc()', () => {
  it('calls a scalar function with arguments; data is its result', async () => {
    const res = await anon.rpc('add_numbers', { a: 2, b: 40 });
    expect(res).toMatchObject({ data: 42, error: null, status: 200 });
    expect(res.executionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('calls a function without arguments', async () => {
    expect(await anon.rpc('server_time')).toMatchObject({ data: 'now', error: null });
  });

  it('returns a set-returning function as an array of rows, count from rows_returned', async () => {
    const res = await anon.rpc('items_over', { min_qty: 5 }, { count: 'exact' });
    expect(res.error).toBeNull();
    expect(res.data?.map((r) => r.id)).toEqual([3, 5]);
    expect(res.data?.[0]).toMatchObject({ id: 3, title: 'Cherry', tags: ['red'] });
    expect(res.count).toBe(2);
  });

  it('head: true runs the call without returning data', async () => {
    expect(await anon.rpc('items_over', { min_qty: 0 }, { head: true, count: 'exact' })).toMatchObject({ data: null, error: null, count: 5 });
  });

  it('runs as the caller', async () => {
    const userId = '5d1a2c3b-0000-4000-8000-00000000000a';
    const client = createClient<Database>(app.url, app.keys.anon);
    expect((await client.rpc('my_uid')).data).toBeNull();
    client.setAuth(app.userToken(userId));
    expect((await client.rpc('my_uid')).data).toBe(userId);
  });

  it('calls functions of another schema by namespace or through schema()', async () => {
    expect(await anon.schema('analytics').rpc('event_count')).toMatchObject({ data: 2, error: null });
    const untyped = createClient(app.url, app.keys.anon);
    expect(await untyped.rpc('event_count', {}, { namespace: 'analytics' })).toMatchObject({ data: 2, error: null });
  });
});

describe('rpc errors', () => {
  it('unknown function: FUNCTION_NOT_FOUND 404', async () => {
    const untyped = createClient(app.url, app.keys.anon);
    const res = await untyped.rpc('no_such_function', { x: 1 });
    expect(res).toMatchObject({ data: null, count: null, status: 404, executionId: null });
    expect(res.error).toMatchObject({ code: 'FUNCTION_NOT_FOUND', status: 404 });
  });

  it('unknown argument name: FUNCTION_NOT_FOUND', async () => {
    const untyped = createClient(app.url, app.keys.anon);
    expect((await untyped.rpc('add_numbers', { a: 1, c: 2 })).error).toMatchObject({ code: 'FUNCTION_NOT_FOUND', status: 404 });
  });

  it('RAISE EXCEPTION: RAISED_EXCEPTION 400 with the message passed through', async () => {
    const res = await anon.rpc('fail_with', { msg: 'out of stock' });
    expect(res.error).toMatchObject({ code: 'RAISED_EXCEPTION', status: 400 });
    expect(res.error?.message).toContain('out of stock');
  });

  it('a namespace that is not exposed: SCHEMA_NOT_EXPOSED', async () => {
    const untyped = createClient(app.url, app.keys.anon);
    expect((await untyped.rpc('uid', {}, { namespace: 'auth' })).error).toMatchObject({ code: 'SCHEMA_NOT_EXPOSED', status: 406 });
  });
});

describe('rpc.list', () => {
  it('needs a signed-in user or a service key', async () => {
    expect((await anon.rpc.list('public')).error).toMatchObject({ code: 'MISSING_AUTHENTICATION', status: 401 });
  });

  it('lists the callable functions with their arguments', async () => {
    const service = createClient<Database>(app.url, app.keys.service_role);
    const res = await service.rpc.list('public');
    expect(res.error).toBeNull();
    const add = res.data?.find((p) => p.name === 'add_numbers');
    expect(add).toMatchObject({ name: 'add_numbers', namespace: 'public', returns_set: false });
    expect(add?.arguments.map((a) => a.name)).toEqual(['a', 'b']);
    expect(res.data?.find((p) => p.name === 'items_over')?.returns_set).toBe(true);
  });
});
