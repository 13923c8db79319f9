// The errors a newcomer meets first name their fix: a body without the JSON content type,
// a filter value that cannot be of its column's type (the column, its type and the value;
// on /rest/v1 PostgreSQL's own code and message, as PostgREST answers), and Supabase paths
// this server does not serve yet (where to go instead).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql`create table public.todos (id int primary key, big bigint, title text, done boolean, owner uuid, price numeric(10,2), due date)`;
  await db.sql`insert into public.todos values (1, 1, 'a', false, '8b1b2b7e-0c1a-4a33-9a57-3a4b1d1c2f00', 1.5, '2026-01-01')`;
  app = await startTestApp(db.url);
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const auth = () => ({ apikey: app.keys.service_role, Authorization: `Bearer ${app.keys.service_role}` });

describe('415 names the header to send', () => {
  it.each([
    ['/rest/v1/todos', 'text/plain'],
    ['/api/v1/tables/todos', 'application/x-www-form-urlencoded'],
    ['/api/v1/auth/signup', 'text/plain'],
  ])('POST %s with %s', async (path, type) => {
    const res = await app.fetch(path, { method: 'POST', headers: { ...auth(), 'Content-Type': type }, body: 'id=2' });
    expect(res.status).toBe(415);
    const body = (await res.json()) as { message: string };
    expect(body.message).toContain(`Content-Type ${type} is not supported here`);
    expect(body.message).toContain('Content-Type: application/json');
  });
});

describe('a filter value that cannot be of its column\'s type', () => {
  const cases: [string, string, string, string, string][] = [
    // query, column, type, value, sqlstate
    ['id=eq.abc', 'id', 'integer', 'abc', '22P02'],
    ['id=gt.1.5', 'id', 'integer', '1.5', '22P02'],
    ['id=eq.99999999999', 'id', 'integer', '99999999999', '22003'],
    ['big=lt.1e3', 'big', 'bigint', '1e3', '22P02'],
    ['id=in.(1,two)', 'id', 'integer', 'two', '22P02'],
    ['done=eq.maybe', 'done', 'boolean', 'maybe', '22P02'],
    ['owner=eq.not-a-uuid', 'owner', 'uuid', 'not-a-uuid', '22P02'],
    ['price=gte.cheap', 'price', 'numeric(10,2)', 'cheap', '22P02'],
    ['id=eq(any).{1,x}', 'id', 'integer', 'x', '22P02'],
  ];

  it.each(cases)('/api/v1: %s → 400 INVALID_INPUT naming %s, its type and the value', async (query, column, type, value) => {
    const res = await app.fetch(`/api/v1/tables/todos?${query}`, { headers: auth() });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string; details: Record<string, string>; hint: string };
    expect(body.code).toBe('INVALID_INPUT');
    expect(body.details).toEqual({ table: 'public.todos', column, type, value });
    expect(body.message).toContain(`column "${column}"`);
    expect(body.message).toContain(type);
    expect(body.hint).toMatch(new RegExp(`^For example \\?${column}=`));
  });

  it.each(cases)('/rest/v1: %s → 400 with PostgreSQL\'s code and message, and the column in details', async (query, column, type, value, sqlstate) => {
    const res = await app.fetch(`/rest/v1/todos?${query}`, { headers: auth() });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string; details: string; hint: string };
    expect(body.code).toBe(sqlstate);
    expect(body.message).toContain(JSON.stringify(value));
    expect(body.details).toContain(`column: ${column}`);
    expect(body.details).toContain(`type: ${type}`);
  });

  it('applies to the filters of updates and deletes too, and changes nothing', async () => {
    const patch = await app.fetch('/api/v1/tables/todos?id=eq.one', { method: 'PATCH', headers: { ...auth(), 'Content-Type': 'application/json' }, body: '{"title":"x"}' });
    expect(patch.status).toBe(400);
    const del = await app.fetch('/rest/v1/todos?done=eq.yes-please', { method: 'DELETE', headers: auth() });
    expect(del.status).toBe(400);
    const [row] = await db.sql`select title from public.todos where id = 1`;
    expect(row).toEqual({ title: 'a' });
  });

  it('leaves valid spellings alone (PostgreSQL accepts them)', async () => {
    for (const query of ['id=eq.+1', 'id=eq.%201', 'done=eq.f', 'done=eq.no', 'done=eq.0', 'owner=eq.8B1B2B7E0C1A4A339A573A4B1D1C2F00', 'owner=eq.{8b1b2b7e-0c1a-4a33-9a57-3a4b1d1c2f00}', 'price=lt.1e9', 'price=gt.-Infinity', 'due=eq.2026-01-01']) {
      const res = await app.fetch(`/api/v1/tables/todos?${query}`, { headers: auth() });
      expect(res.status, query).toBe(200);
    }
  });
});

describe('Supabase mounts not served yet say what to use instead', () => {
  it.each([
    ['POST', '/auth/v1/signup', '/api/v1/auth'],
    ['GET', '/auth/v1/user', '/api/v1/auth'],
    ['GET', '/storage/v1/object/public/avatars/a.png', 'serves storage at /api/v1/storage'],
    ['POST', '/graphql/v1', 'serves GraphQL at /api/v1/graphql'],
    ['GET', '/realtime/v1/websocket', 'serves realtime at /realtime'],
  ])('%s %s → 404 naming %s', async (method, path, mention) => {
    const res = await app.fetch(path, { method, headers: auth() });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { code: string; message: string; hint: string; details: { mount: string }; request_id: string };
    expect(body.code).toBe('NOT_FOUND');
    expect(body.message).toContain(mention);
    expect(body.hint.length).toBeGreaterThan(10);
    expect(body.details.mount).toBe(path.split('/').slice(0, 3).join('/'));
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('a path merely starting with those letters is an ordinary 404', async () => {
    const res = await app.fetch('/auth/v10', { headers: auth() });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toBe('No route for GET /auth/v10');
  });
});
