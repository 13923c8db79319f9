// Admin schema routes against a real database: who may call them, schema refresh, the
// metadata shapes of /admin/schemas, /admin/tables, /admin/tables/:schema/:table and
// /api/v1/tables, and GET/POST /admin/schema/typescript with every kind of bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe(`
    -- Only POST /schema/refresh (not the DDL event trigger) may reload the cache in this file.
    alter event trigger fluxbase_schema_ddl disable;
    alter event trigger fluxbase_schema_drop disable;
    create type public.mood as enum ('happy', 'sad');
    create table public.users (id uuid primary key default gen_random_uuid(), email varchar(120) not null unique);
    comment on column public.users.email is 'login address';
    create table public.posts (
      id bigint generated always as identity primary key,
      author uuid not null references public.users(id),
      title text not null,
      mood public.mood not null default 'happy',
      tags text[]
    );
    create index posts_title_idx on public.posts (title);
    alter table public.posts enable row level security;
    create view public.post_titles as select id, title from public.posts;
    create materialized view public.post_counts as select author, count(*) as n from public.posts group by author;
    create function public.add(a int, b int) returns int language sql immutable as 'select a + b';
    create function public.add(a text, b text) returns text language sql immutable as 'select a || b';
    create schema api;
    create table api.notes (id serial primary key, body text);
    create schema hidden;
    create table hidden.secrets (id int primary key);
  `);
  app = await startTestApp(db.url, { overrides: { api: { exposed_schemas: ['public', 'api'] } } });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const service = () => ({ Authorization: `Bearer ${app.keys.service_role}` });
const json = (body: unknown, headers: Record<string, string> = service()) => ({
  method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read nested fields freely
const get = async (path: string, headers: Record<string, string> = service()): Promise<{ status: number; body: any; res: Response }> => {
  const res = await app.fetch(path, { headers });
  const text = await res.text();
  return { status: res.status, res, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
};

describe('only the admin principal', () => {
  const routes: [string, string][] = [
    ['POST', '/api/v1/admin/schema/refresh'],
    ['POST', '/api/v1/admin/schema/typescript'],
    ['GET', '/api/v1/admin/schema/typescript'],
    ['GET', '/api/v1/admin/schemas'],
    ['GET', '/api/v1/admin/tables'],
    ['GET', '/api/v1/admin/tables/public/posts'],
    ['GET', '/api/v1/tables'],
  ];
  it.each(routes)('%s %s: 401 without credentials or with the anon key, 403 for a user, 200 for the service role', async (method, path) => {
    const call = (headers: Record<string, string>) => app.fetch(path, { method, headers });
    const none = await call({});
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: 'MISSING_AUTHENTICATION' });
    const anon = await call({ apikey: app.keys.anon });
    expect(anon.status).toBe(401);
    const user = await call({ apikey: app.keys.anon, Authorization: `Bearer ${app.userToken('11111111-1111-4111-8111-111111111111')}` });
    expect(user.status).toBe(403);
    expect(await user.json()).toMatchObject({ code: 'ADMIN_REQUIRED' });
    const admin = await call({ ...service(), Accept: 'application/json' });
    expect(admin.status).toBe(200);
  });

  it('accepts the service-role key in X-Service-Key and apikey too', async () => {
    for (const headers of [{ 'X-Service-Key': app.keys.service_role }, { apikey: app.keys.service_role }] as Record<string, string>[]) {
      expect((await get('/api/v1/admin/schemas', headers)).status).toBe(200);
    }
  });
});

describe('POST /schema/refresh', () => {
  it('counts the exposed schemas\' tables, views (incl. materialized) and functions', async () => {
    const res = await app.fetch('/api/v1/admin/schema/refresh', { method: 'POST', headers: service() });
    expect(res.status).toBe(200);
    // public: users, posts + api: notes; views: post_titles, post_counts; functions: add ×2 (hidden.* not counted)
    expect(await res.json()).toEqual({ message: 'Schema cache refreshed', tables: 3, views: 2, functions: 2 });
  });

  it('makes a table created by the owner connection visible', async () => {
    await db.sql.unsafe('create table public.late_arrival (id int primary key)');
    const before = await get('/api/v1/admin/tables');
    expect(before.body.map((t: { name: string }) => t.name)).not.toContain('late_arrival');
    const res = await app.fetch('/api/v1/admin/schema/refresh', { method: 'POST', headers: service() });
    expect(((await res.json()) as { tables: number }).tables).toBe(4);
    const after = await get('/api/v1/admin/tables');
    expect(after.body.map((t: { name: string }) => t.name)).toContain('late_arrival');
    expect((await get('/api/v1/admin/tables/public/late_arrival')).status).toBe(200);
  });
});

describe('GET /schemas', () => {
  it('lists the application schemas with their exposure, never the internal ones', async () => {
    const { status, body } = await get('/api/v1/admin/schemas');
    expect(status).toBe(200);
    expect(body).toEqual(expect.arrayContaining([{ name: 'api', exposed: true }, { name: 'hidden', exposed: false }, { name: 'public', exposed: true }]));
    const names = body.map((s: { name: string }) => s.name);
    for (const internal of ['auth', 'storage', 'fluxbase', 'pg_catalog', 'information_schema']) expect(names).not.toContain(internal);
    expect(names).toEqual([...names].sort());
  });
});

describe('GET /tables and /tables/:schema/:table', () => {
  it('describes a table: columns, keys, foreign keys, indexes, RLS', async () => {
    const { status, body } = await get('/api/v1/admin/tables/public/posts');
    expect(status).toBe(200);
    expect(body).toMatchObject({ schema: 'public', name: 'posts', type: 'table', primary_key: ['id'], rls_enabled: true });
    expect(body.columns).toEqual([
      { name: 'id', data_type: 'bigint', is_nullable: false, default_value: null, is_primary_key: true, is_foreign_key: false, is_unique: true, max_length: null, position: 1 },
      { name: 'author', data_type: 'uuid', is_nullable: false, default_value: null, is_primary_key: false, is_foreign_key: true, is_unique: false, max_length: null, position: 2 },
      { name: 'title', data_type: 'text', is_nullable: false, default_value: null, is_primary_key: false, is_foreign_key: false, is_unique: false, max_length: null, position: 3 },
      { name: 'mood', data_type: 'mood', is_nullable: false, default_value: "'happy'::public.mood", is_primary_key: false, is_foreign_key: false, is_unique: false, max_length: null, position: 4 },
      { name: 'tags', data_type: 'ARRAY', is_nullable: true, default_value: null, is_primary_key: false, is_foreign_key: false, is_unique: false, max_length: null, position: 5 },
    ]);
    expect(body.foreign_keys).toEqual([{ name: 'posts_author_fkey', columns: ['author'], referenced_schema: 'public', referenced_table: 'users', referenced_columns: ['id'], is_one_to_one: false }]);
    expect(body.indexes).toEqual([
      { name: 'posts_pkey', columns: ['id'], is_unique: true, is_primary: true },
      { name: 'posts_title_idx', columns: ['title'], is_unique: false, is_primary: false },
    ]);
  });

  it('shows varchar limits, unique columns and column comments', async () => {
    const { body } = await get('/api/v1/admin/tables/public/users');
    expect(body.columns[1]).toEqual({ name: 'email', data_type: 'character varying', is_nullable: false, default_value: null, is_primary_key: false, is_foreign_key: false, is_unique: true, max_length: 120, position: 2, description: 'login address' });
    expect(body.columns[0].default_value).toBe('gen_random_uuid()');
  });

  it('types views and materialized views', async () => {
    expect((await get('/api/v1/admin/tables/public/post_titles')).body.type).toBe('view');
    expect((await get('/api/v1/admin/tables/public/post_counts')).body.type).toBe('materialized_view');
  });

  it('lists the exposed schemas by default, sorted, and the asked ones with ?schema=', async () => {
    const all = await get('/api/v1/admin/tables');
    expect(all.body.map((t: { schema: string; name: string }) => `${t.schema}.${t.name}`)).toEqual(
      expect.arrayContaining(['api.notes', 'public.post_counts', 'public.post_titles', 'public.posts', 'public.users']));
    expect(all.body.some((t: { schema: string }) => t.schema === 'hidden')).toBe(false);
    const hidden = await get('/api/v1/admin/tables?schema=hidden');
    expect(hidden.body.map((t: { name: string }) => t.name)).toEqual(['secrets']);
    const two = await get('/api/v1/admin/tables?schema=api,hidden');
    expect(two.body.map((t: { schema: string; name: string }) => `${t.schema}.${t.name}`)).toEqual(['api.notes', 'hidden.secrets']);
    expect(two.body[0]).toHaveProperty('foreign_keys');
  });

  it.each([
    ['an unknown table', '/api/v1/admin/tables/public/nope'],
    ['an unknown schema', '/api/v1/admin/tables/nope/posts'],
    ['an internal schema', '/api/v1/admin/tables/fluxbase/schema_migrations'],
  ])('404 NOT_FOUND for %s', async (_n, path) => {
    const { status, body } = await get(path);
    expect(status).toBe(404);
    expect(body).toMatchObject({ code: 'NOT_FOUND', details: { resource: 'table' } });
  });

  it.each([
    ['an unknown schema', '?schema=nope', 'VALIDATION_FAILED'],
    ['an internal schema', '?schema=auth', 'VALIDATION_FAILED'],
    ['an empty list', '?schema=', 'INVALID_FORMAT'],
    ['an empty entry', '?schema=public,,api', 'INVALID_FORMAT'],
    ['a repeated parameter', '?schema=public&schema=api', 'INVALID_FORMAT'],
  ])('400 for %s', async (_n, query, code) => {
    for (const base of ['/api/v1/admin/tables', '/api/v1/tables']) {
      const { status, body } = await get(`${base}${query}`);
      expect(status).toBe(400);
      expect(body.code).toBe(code);
    }
  });
});

describe('GET /api/v1/tables', () => {
  it('lists relations with their REST path (one segment for public)', async () => {
    const { status, body } = await get('/api/v1/tables?schema=public,api');
    expect(status).toBe(200);
    const posts = body.find((t: { name: string }) => t.name === 'posts');
    expect(Object.keys(posts).sort()).toEqual(['columns', 'name', 'path', 'primary_key', 'rls_enabled', 'schema', 'type']);
    expect(posts).toMatchObject({ schema: 'public', type: 'table', path: '/api/v1/tables/posts', primary_key: ['id'], rls_enabled: true });
    expect(body.find((t: { name: string }) => t.name === 'notes')).toMatchObject({ schema: 'api', path: '/api/v1/tables/api/notes' });
    expect(body.find((t: { name: string }) => t.name === 'post_titles')).toMatchObject({ type: 'view', path: '/api/v1/tables/post_titles' });
  });
});

describe('GET /schema/typescript', () => {
  it('answers text/plain with a file name by default', async () => {
    const res = await app.fetch('/api/v1/admin/schema/typescript', { headers: service() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('inline; filename="types.ts"');
    const text = await res.text();
    expect(text).toContain('export type Database = {');
    expect(text).toContain('  api: {'); // default: the exposed schemas
    expect(text).not.toContain('hidden');
  });

  it('answers {typescript, schemas} when the client accepts JSON', async () => {
    const res = await app.fetch('/api/v1/admin/schema/typescript?schemas=hidden', { headers: { ...service(), Accept: 'application/json, text/plain, */*' } });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await res.json() as { typescript: string; schemas: string[] };
    expect(body.schemas).toEqual(['hidden']);
    expect(body.typescript).toContain('secrets: {');
  });

  it('honours include_functions and include_views', async () => {
    const full = await get('/api/v1/admin/schema/typescript?schemas=public');
    expect(full.body).toContain('post_titles: {');
    expect(full.body).toContain('add:');
    const bare = await get('/api/v1/admin/schema/typescript?schemas=public&include_functions=false&include_views=false');
    expect(bare.body).not.toContain('post_titles');
    expect(bare.body).not.toContain('add:');
    expect(bare.body).toContain('posts: {');
  });

  it('406 when neither text nor JSON is acceptable', async () => {
    const { status, body } = await get('/api/v1/admin/schema/typescript', { ...service(), Accept: 'image/png' });
    expect(status).toBe(406);
    expect(body.code).toBe('NOT_ACCEPTABLE');
  });

  it.each([
    ['an unknown schema', 'schemas=public,nope', 'VALIDATION_FAILED'],
    ['an internal schema', 'schemas=auth', 'VALIDATION_FAILED'],
    ['an empty schemas list', 'schemas=', 'INVALID_FORMAT'],
    ['a repeated schemas parameter', 'schemas=public&schemas=api', 'INVALID_FORMAT'],
    ['a non-boolean include_functions', 'include_functions=yes', 'INVALID_FORMAT'],
    ['a non-boolean include_views', 'include_views=1', 'INVALID_FORMAT'],
  ])('400 for %s', async (_n, query, code) => {
    const { status, body } = await get(`/api/v1/admin/schema/typescript?${query}`);
    expect(status).toBe(400);
    expect(body.code).toBe(code);
    expect(JSON.stringify(body)).not.toMatch(/select|pg_/i);
  });
});

describe('POST /schema/typescript', () => {
  it('answers {typescript, schemas} and matches GET for the same input', async () => {
    const res = await app.fetch('/api/v1/admin/schema/typescript', json({ schemas: ['public', 'api'], include_functions: true, include_views: false }));
    expect(res.status).toBe(200);
    const body = await res.json() as { typescript: string; schemas: string[] };
    expect(body.schemas).toEqual(['public', 'api']);
    const text = await get('/api/v1/admin/schema/typescript?schemas=public,api&include_views=false');
    expect(body.typescript).toBe(text.body);
  });

  it('defaults everything without a body', async () => {
    const res = await app.fetch('/api/v1/admin/schema/typescript', { method: 'POST', headers: service() });
    expect(res.status).toBe(200);
    const body = await res.json() as { schemas: string[] };
    expect(body.schemas).toEqual(['public', 'api']);
  });

  it.each([
    ['schemas as a string', { schemas: 'public' }, 'INVALID_REQUEST_BODY'],
    ['an empty schemas array', { schemas: [] }, 'INVALID_REQUEST_BODY'],
    ['a non-string schema', { schemas: [1] }, 'INVALID_REQUEST_BODY'],
    ['include_functions as a string', { include_functions: 'false' }, 'INVALID_REQUEST_BODY'],
    ['include_views as null', { include_views: null }, 'INVALID_REQUEST_BODY'],
    ['an unknown field', { schema: ['public'] }, 'INVALID_REQUEST_BODY'],
    ['an array body', [], 'INVALID_REQUEST_BODY'],
    ['an unknown schema', { schemas: ['nope'] }, 'VALIDATION_FAILED'],
  ])('400 for %s', async (_n, body, code) => {
    const res = await app.fetch('/api/v1/admin/schema/typescript', json(body));
    expect(res.status).toBe(400);
    expect((await res.json() as { code: string }).code).toBe(code);
  });

  it('400 INVALID_JSON for a malformed body, 415 for another content type', async () => {
    const bad = await app.fetch('/api/v1/admin/schema/typescript', { method: 'POST', headers: { ...service(), 'Content-Type': 'application/json' }, body: '{"schemas": [' });
    expect(bad.status).toBe(400);
    expect((await bad.json() as { code: string }).code).toBe('INVALID_JSON');
    const text = await app.fetch('/api/v1/admin/schema/typescript', { method: 'POST', headers: { ...service(), 'Content-Type': 'text/plain' }, body: 'public' });
    expect(text.status).toBe(415);
  });
});
