// Admin DDL and SQL routes against a real database: schemas, tables and columns created
// and dropped through the owner connection (RLS on, API roles granted, cache reloaded),
// the 4xx for each bad input, and POST /sql/execute as service_role with its row cap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  // The routes must reload the cache themselves: no DDL event trigger in this database.
  await db.sql.unsafe(`
    alter event trigger fluxbase_schema_ddl disable;
    alter event trigger fluxbase_schema_drop disable;
    create type public.mood as enum ('happy', 'sad');`);
  app = await startTestApp(db.url);
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const headers = () => ({ Authorization: `Bearer ${app.keys.service_role}`, 'Content-Type': 'application/json' });
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read nested fields freely
const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
  const res = await app.fetch(path, { method, headers: headers(), body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
};

describe('access', () => {
  it.each([
    ['GET', '/api/v1/admin/ddl/schemas'], ['POST', '/api/v1/admin/ddl/schemas'], ['GET', '/api/v1/admin/ddl/tables'],
    ['POST', '/api/v1/admin/ddl/tables'], ['DELETE', '/api/v1/admin/ddl/tables/public/x'], ['POST', '/api/v1/admin/tables/public/x/columns'],
    ['DELETE', '/api/v1/admin/tables/public/x/columns/y'], ['POST', '/api/v1/admin/sql/execute'],
  ])('%s %s: 401 anonymous, 403 user', async (method, path) => {
    expect((await app.fetch(path, { method })).status).toBe(401);
    const user = await app.fetch(path, { method, headers: { Authorization: `Bearer ${app.userToken('11111111-1111-4111-8111-111111111111')}` } });
    expect(user.status).toBe(403);
  });
});

describe('schemas', () => {
  it('creates a schema usable by the API roles, lists it, and refuses a duplicate', async () => {
    const created = await call('POST', '/api/v1/admin/ddl/schemas', { name: 'crm' });
    expect(created).toEqual({ status: 201, body: { success: true, schema: 'crm', message: 'Schema "crm" created' } });
    const [row] = await db.sql<{ usable: boolean }[]>`select has_schema_privilege('authenticated', 'crm', 'usage') as usable`;
    expect(row!.usable).toBe(true);
    const list = await call('GET', '/api/v1/admin/ddl/schemas');
    expect(list.body.schemas).toEqual(expect.arrayContaining([{ name: 'crm', owner: expect.any(String) }, { name: 'public', owner: expect.any(String) }]));
    expect(list.body.schemas.map((s: { name: string }) => s.name)).not.toContain('auth');
    expect((await call('GET', '/api/v1/admin/schemas')).body).toContainEqual({ name: 'crm', exposed: false });
    const again = await call('POST', '/api/v1/admin/ddl/schemas', { name: 'crm' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ALREADY_EXISTS');
  });

  it.each([
    ['an internal schema', { name: 'auth' }, 400, 'VALIDATION_FAILED'],
    ['a pg_ schema', { name: 'pg_mine' }, 400, 'VALIDATION_FAILED'],
    ['no name', {}, 400, 'MISSING_REQUIRED_FIELD'],
    ['a non-string name', { name: 7 }, 400, 'INVALID_REQUEST_BODY'],
    ['an unknown field', { name: 'x', owner: 'me' }, 400, 'INVALID_REQUEST_BODY'],
  ])('refuses %s', async (_n, body, status, code) => {
    const r = await call('POST', '/api/v1/admin/ddl/schemas', body);
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
  });
});

describe('tables and columns', () => {
  it('creates a table with RLS enabled, API grants and a granted serial sequence, visible at once', async () => {
    const r = await call('POST', '/api/v1/admin/ddl/tables', { schema: 'public', name: 'tasks', columns: [
      { name: 'id', type: 'bigserial', primaryKey: true },
      { name: 'title', type: 'varchar(200)', nullable: false },
      { name: 'mood', type: 'mood', defaultValue: 'happy' },
      { name: 'tags', type: 'text[]', defaultValue: '{}' },
      { name: 'created_at', type: 'timestamptz', nullable: false, defaultValue: 'now()' },
    ] });
    expect(r).toEqual({ status: 201, body: { success: true, schema: 'public', table: 'tasks', message: 'Table "public.tasks" created' } });
    const [facts] = await db.sql<{ rls: boolean; anon: boolean; auth: boolean; seq: boolean }[]>`
      select c.relrowsecurity as rls, has_table_privilege('anon', 'public.tasks', 'select') as anon,
             has_table_privilege('authenticated', 'public.tasks', 'insert') as auth,
             has_sequence_privilege('authenticated', pg_get_serial_sequence('public.tasks', 'id'), 'usage') as seq
      from pg_class c where c.oid = 'public.tasks'::regclass`;
    expect(facts).toEqual({ rls: true, anon: true, auth: true, seq: true });
    const meta = await call('GET', '/api/v1/admin/tables/public/tasks');
    expect(meta.status).toBe(200);
    expect(meta.body.columns.map((c: { name: string; data_type: string }) => `${c.name}:${c.data_type}`))
      .toEqual(['id:bigint', 'title:character varying', 'mood:mood', 'tags:ARRAY', 'created_at:timestamp with time zone']);
    expect(meta.body.primary_key).toEqual(['id']);
    const listed = await call('GET', '/api/v1/admin/ddl/tables?schema=public');
    expect(listed.body.tables).toContainEqual({ schema: 'public', name: 'tasks' });
  });

  it('creates tables with odd names in another schema', async () => {
    await call('POST', '/api/v1/admin/ddl/schemas', { name: 'odd schema' });
    const r = await call('POST', '/api/v1/admin/ddl/tables', { schema: 'odd schema', name: 'we"ird', columns: [{ name: 'a b', type: 'int' }] });
    expect(r.status).toBe(201);
    expect((await call('GET', `/api/v1/admin/tables/${encodeURIComponent('odd schema')}/${encodeURIComponent('we"ird')}`)).body.columns[0].name).toBe('a b');
  });

  it.each([
    ['an existing table', { name: 'tasks', columns: [{ name: 'a', type: 'text' }] }, 409, 'ALREADY_EXISTS'],
    ['a missing schema', { schema: 'nope', name: 't', columns: [{ name: 'a', type: 'text' }] }, 404, 'NOT_FOUND'],
    ['an unsupported type', { name: 't', columns: [{ name: 'a', type: 'text); drop table tasks; --' }] }, 400, 'VALIDATION_FAILED'],
    ['no columns', { name: 't', columns: [] }, 400, 'INVALID_REQUEST_BODY'],
    ['a default that does not fit the type', { name: 't', columns: [{ name: 'a', type: 'integer', defaultValue: 'abc' }] }, 400, 'INVALID_INPUT'],
    ['two primary keys spelled twice', { name: 't', columns: [{ name: 'a', type: 'text' }, { name: 'a', type: 'text' }] }, 400, 'VALIDATION_FAILED'],
  ])('POST /ddl/tables refuses %s', async (_n, body, status, code) => {
    const r = await call('POST', '/api/v1/admin/ddl/tables', body);
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
    expect(JSON.stringify(r.body)).not.toMatch(/create table|alter table/i);
  });

  it('adds and drops a column', async () => {
    const added = await call('POST', '/api/v1/admin/tables/public/tasks/columns', { name: 'priority', type: 'smallint', nullable: false, defaultValue: 3 });
    expect(added).toEqual({ status: 201, body: { success: true, schema: 'public', table: 'tasks', column: 'priority', message: 'Column "priority" added to "public.tasks"' } });
    const meta = await call('GET', '/api/v1/admin/tables/public/tasks');
    expect(meta.body.columns.find((c: { name: string }) => c.name === 'priority')).toMatchObject({ data_type: 'smallint', is_nullable: false, default_value: '3' });
    const dup = await call('POST', '/api/v1/admin/tables/public/tasks/columns', { name: 'priority', type: 'int' });
    expect(dup.status).toBe(409);
    const dropped = await call('DELETE', '/api/v1/admin/tables/public/tasks/columns/priority');
    expect(dropped).toEqual({ status: 200, body: { success: true, message: 'Column "priority" dropped from "public.tasks"' } });
    expect((await call('GET', '/api/v1/admin/tables/public/tasks')).body.columns.map((c: { name: string }) => c.name)).not.toContain('priority');
  });

  it.each([
    ['POST', '/api/v1/admin/tables/public/nope/columns', { name: 'a', type: 'text' }, 404, 'NOT_FOUND'],
    ['POST', '/api/v1/admin/tables/auth/users/columns', { name: 'a', type: 'text' }, 400, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/admin/tables/public/tasks/columns', { name: 'a', type: 'money(2)' }, 400, 'VALIDATION_FAILED'],
    ['POST', '/api/v1/admin/tables/public/tasks/columns', { name: 'a' }, 400, 'INVALID_REQUEST_BODY'],
    ['DELETE', '/api/v1/admin/tables/public/tasks/columns/nope', undefined, 404, 'NOT_FOUND'],
    ['DELETE', '/api/v1/admin/ddl/tables/public/nope', undefined, 404, 'NOT_FOUND'],
    ['DELETE', '/api/v1/admin/ddl/tables/fluxbase/schema_migrations', undefined, 400, 'VALIDATION_FAILED'],
  ])('%s %s refuses', async (method, path, body, status, code) => {
    const r = await call(method, path, body);
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
  });

  it('drops a table, refusing while a view depends on it', async () => {
    await call('POST', '/api/v1/admin/ddl/tables', { name: 'doomed', columns: [{ name: 'id', type: 'int', primaryKey: true }] });
    await db.sql.unsafe('create view public.doomed_view as select id from public.doomed');
    const blocked = await call('DELETE', '/api/v1/admin/ddl/tables/public/doomed');
    expect(blocked.status).toBe(409);
    expect(blocked.body.code).toBe('CONFLICT');
    await db.sql.unsafe('drop view public.doomed_view');
    const dropped = await call('DELETE', '/api/v1/admin/ddl/tables/public/doomed');
    expect(dropped).toEqual({ status: 200, body: { success: true, message: 'Table "public.doomed" dropped' } });
    expect((await call('GET', '/api/v1/admin/tables/public/doomed')).status).toBe(404);
  });
});

describe('POST /sql/execute', () => {
  const run = (query: unknown) => call('POST', '/api/v1/admin/sql/execute', { query });

  it('runs each statement as service_role and reports columns, rows and counts', async () => {
    const r = await run(`create table public.scratch (id int primary key, note text);
      insert into public.scratch values (1, 'a;b'), (2, 'c');
      select id, note from public.scratch order by id;
      select current_user as who, auth.role() as role`);
    expect(r.status).toBe(200);
    const [create, insert, select, who] = r.body.results;
    expect(create).toMatchObject({ statement: 'create table public.scratch (id int primary key, note text)', columns: [], rows: [], row_count: 0 });
    expect(insert).toMatchObject({ row_count: 0, affected_rows: 2 });
    expect(select).toMatchObject({ columns: ['id', 'note'], rows: [{ id: 1, note: 'a;b' }, { id: 2, note: 'c' }], row_count: 2 });
    expect(who.rows).toEqual([{ who: 'service_role', role: 'service_role' }]);
    for (const s of r.body.results) expect(typeof s.execution_time_ms).toBe('number');
    // DDL through SQL reloads the cache (no event trigger here).
    expect((await call('GET', '/api/v1/admin/tables/public/scratch')).status).toBe(200);
  });

  it('reports a failing statement and goes on with the next', async () => {
    const r = await run("select 1 as one; select * from nowhere; select 'after' as x");
    const [one, bad, after] = r.body.results;
    expect(one.rows).toEqual([{ one: 1 }]);
    expect(bad.error).toMatch(/relation "nowhere" does not exist/);
    expect(after.rows).toEqual([{ x: 'after' }]);
  });

  it('keeps at most 1000 rows per statement and says so', async () => {
    const r = await run('select g from generate_series(1, 1500) g');
    const [s] = r.body.results;
    expect(s.rows).toHaveLength(1000);
    expect(s).toMatchObject({ row_count: 1000, truncated: true });
  });

  it('refuses transaction control inside the script', async () => {
    const r = await run('begin; select 1; commit');
    expect(r.body.results.map((s: { error?: string }) => s.error !== undefined)).toEqual([true, false, true]);
  });

  it.each([
    ['a missing query', {}, 'MISSING_REQUIRED_FIELD'],
    ['a non-string query', { query: 5 }, 'INVALID_REQUEST_BODY'],
    ['an empty query', { query: ' -- nothing\n' }, 'VALIDATION_FAILED'],
    ['an unknown field', { query: 'select 1', role: 'postgres' }, 'INVALID_REQUEST_BODY'],
  ])('400 for %s', async (_n, body, code) => {
    const r = await call('POST', '/api/v1/admin/sql/execute', body);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe(code);
  });
});
