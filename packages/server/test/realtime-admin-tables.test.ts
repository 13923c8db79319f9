// Admin realtime table routes (docs/realtime.md "Enabling a table") on the real app: enable,
// list, read, update and disable a table through /api/v1/admin/realtime/tables, the trigger
// each call leaves in the catalog, and the status and code of every kind of bad input.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeChannels } from '../src/realtime/capture/index.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';
import { RtClient } from './harness/realtime.ts';

let db: TestDatabase;
let app: TestApp;

const BASE = '/api/v1/admin/realtime/tables';
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe(`
    create table public.posts (id serial primary key, title text not null, body text, secret text);
    create table public.comments (id serial primary key, post_id int, body text);
    create view public.posts_view as select id, title from public.posts;
    create schema crm;
    create table crm.leads (id int primary key, email text);`);
  app = await startTestApp(db.url);
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const admin = () => ({ Authorization: `Bearer ${app.keys.service_role}`, 'Content-Type': 'application/json' });
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read nested fields freely
type Answer = { status: number; body: any };
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = admin()): Promise<Answer> {
  const res = await app.fetch(path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

/** The capture trigger's definition on a table, or undefined. */
async function triggerOf(table: string): Promise<string | undefined> {
  const [row] = await db.sql<{ def: string }[]>`
    select pg_get_triggerdef(t.oid) as def from pg_trigger t where t.tgrelid = ${table}::regclass and t.tgname = 'fluxbase_realtime_capture'`;
  return row?.def;
}

describe('access', () => {
  it.each([
    ['POST', BASE], ['GET', BASE], ['GET', `${BASE}/public/posts`], ['PATCH', `${BASE}/public/posts`], ['DELETE', `${BASE}/public/posts`],
  ])('%s %s: 401 without a credential or with the anon key, 403 for a user who is not an admin', async (method, path) => {
    const body = method === 'POST' || method === 'PATCH' ? JSON.stringify({ table: 'posts', events: ['INSERT'] }) : undefined;
    const json = { 'Content-Type': 'application/json' };
    const none = await call(method, path, body, json);
    expect([none.status, none.body.code]).toEqual([401, 'MISSING_AUTHENTICATION']);
    const anon = await call(method, path, body, { ...json, Authorization: `Bearer ${app.keys.anon}` });
    expect([anon.status, anon.body.code]).toEqual([401, 'MISSING_AUTHENTICATION']);
    const user = await call(method, path, body, { ...json, Authorization: `Bearer ${app.userToken('11111111-1111-4111-8111-111111111111')}` });
    expect([user.status, user.body.code]).toEqual([403, 'ADMIN_REQUIRED']);
    expect(await triggerOf('public.posts')).toBeUndefined();
  });
});

describe('enable, list, read, update, disable', () => {
  it('POST enables a table with every event by default and installs the trigger', async () => {
    const r = await call('POST', BASE, { table: 'posts' });
    expect(r).toEqual({
      status: 201,
      body: { schema: 'public', table: 'posts', events: ['INSERT', 'UPDATE', 'DELETE'], trigger_name: 'fluxbase_realtime_capture', exclude: [] },
    });
    expect(await triggerOf('public.posts')).toMatch(/AFTER INSERT OR DELETE OR UPDATE ON public\.posts FOR EACH ROW EXECUTE FUNCTION realtime\.capture_change\('public', 'posts'\)/);
  });

  it('captures changes of the table once enabled', async () => {
    const listener = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      let received: (payload: Record<string, unknown>) => void = () => {};
      const got = new Promise<Record<string, unknown>>((resolve) => (received = resolve));
      for (const channel of changeChannels()) await listener.listen(channel, (payload) => received(JSON.parse(payload) as Record<string, unknown>));
      await db.sql`insert into public.posts (title) values ('hello')`;
      expect(await got).toMatchObject({ schema: 'public', table: 'posts', type: 'INSERT', record: { title: 'hello' } });
    } finally {
      await listener.end({ timeout: 1 });
    }
  });

  it('POST again replaces events and excluded columns (never 409); event names in any case', async () => {
    const r = await call('POST', BASE, { schema: 'public', table: 'posts', events: ['delete', 'Insert', 'DELETE'], exclude: ['secret', 'secret', 'body'] });
    expect(r).toEqual({
      status: 201,
      body: { schema: 'public', table: 'posts', events: ['INSERT', 'DELETE'], trigger_name: 'fluxbase_realtime_capture', exclude: ['secret', 'body'] },
    });
    expect(await triggerOf('public.posts')).toContain('AFTER INSERT OR DELETE ON public.posts');
  });

  it('POST enables a table of another schema', async () => {
    const r = await call('POST', BASE, { schema: 'crm', table: 'leads', events: ['UPDATE'], exclude: null });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ schema: 'crm', table: 'leads', events: ['UPDATE'], exclude: [] });
  });

  it('GET lists the enabled tables with RFC 3339 timestamps', async () => {
    const r = await call('GET', BASE);
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(2);
    expect(r.body.tables).toEqual([
      {
        id: expect.any(Number), schema: 'crm', table: 'leads', realtime_enabled: true, events: ['UPDATE'], excluded_columns: [],
        created_at: expect.stringMatching(RFC3339), updated_at: expect.stringMatching(RFC3339),
      },
      {
        id: expect.any(Number), schema: 'public', table: 'posts', realtime_enabled: true, events: ['INSERT', 'DELETE'], excluded_columns: ['secret', 'body'],
        created_at: expect.stringMatching(RFC3339), updated_at: expect.stringMatching(RFC3339),
      },
    ]);
    const posts = r.body.tables[1];
    expect(Date.parse(posts.updated_at)).toBeGreaterThan(Date.parse(posts.created_at));
  });

  it('GET one table: its entry, or realtime_enabled false when never enabled', async () => {
    const posts = await call('GET', `${BASE}/public/posts`);
    expect(posts.status).toBe(200);
    expect(posts.body).toMatchObject({ schema: 'public', table: 'posts', realtime_enabled: true, events: ['INSERT', 'DELETE'], excluded_columns: ['secret', 'body'] });
    expect(posts.body.created_at).toMatch(RFC3339);
    expect(await call('GET', `${BASE}/public/comments`)).toEqual({
      status: 200, body: { schema: 'public', table: 'comments', realtime_enabled: false, events: [], excluded_columns: [] },
    });
  });

  it('PATCH changes events and/or excluded columns, keeping what is not given', async () => {
    const events = await call('PATCH', `${BASE}/public/posts`, { events: ['UPDATE'] });
    expect(events.status).toBe(200);
    expect(events.body).toMatchObject({ schema: 'public', table: 'posts', realtime_enabled: true, events: ['UPDATE'], excluded_columns: ['secret', 'body'] });
    expect(await triggerOf('public.posts')).toContain('AFTER UPDATE ON public.posts');
    // Only the events need the trigger re-created (which locks the table): not exclude.
    const oid = async () => (await db.sql<{ oid: number }[]>`select oid::int from pg_trigger where tgname = 'fluxbase_realtime_capture' and tgrelid = 'public.posts'::regclass`)[0]?.oid;
    const before = await oid();
    const exclude = await call('PATCH', `${BASE}/public/posts`, { exclude: [] });
    expect(exclude.body).toMatchObject({ events: ['UPDATE'], excluded_columns: [] });
    expect(exclude.body.updated_at).toMatch(RFC3339);
    expect(await oid()).toBe(before);
  });

  it('DELETE disables: the trigger goes, the table reads as not enabled, and a second DELETE still succeeds', async () => {
    expect(await call('DELETE', `${BASE}/crm/leads`)).toEqual({ status: 200, body: { success: true, message: 'Realtime disabled for "crm.leads"' } });
    expect(await triggerOf('crm.leads')).toBeUndefined();
    expect((await call('GET', `${BASE}/crm/leads`)).body).toMatchObject({ realtime_enabled: false, events: [] });
    expect((await call('GET', BASE)).body.tables.map((t: { table: string }) => t.table)).toEqual(['posts']);
    expect(await call('DELETE', `${BASE}/crm/leads`)).toEqual({ status: 200, body: { success: true, message: 'Realtime was not enabled for "crm.leads"' } });
  });

  it('GET ?enabled=false also lists entries whose table was dropped; DELETE removes them', async () => {
    await db.sql.unsafe('create table public.temp_t (id int)');
    expect((await call('POST', BASE, { table: 'temp_t' })).status).toBe(201);
    await db.sql.unsafe('drop table public.temp_t');
    expect((await call('GET', BASE)).body.tables.map((t: { table: string }) => t.table)).toEqual(['posts']);
    const all = await call('GET', `${BASE}?enabled=false`);
    expect(all.body.count).toBe(2);
    expect(all.body.tables.find((t: { table: string }) => t.table === 'temp_t')).toMatchObject({ realtime_enabled: false });
    expect((await call('GET', `${BASE}/public/temp_t`)).status).toBe(404);
    expect((await call('DELETE', `${BASE}/public/temp_t`)).status).toBe(200);
    expect((await call('GET', `${BASE}?enabled=false`)).body.count).toBe(1);
    expect((await call('GET', `${BASE}?enabled=true`)).body.count).toBe(1);
  });
});

describe('the answer comes after this instance knows', () => {
  it('a subscribe sent right after POST is accepted, and right after DELETE refused, every time', async () => {
    // Without the reload before the answer, the subscribe races the registry NOTIFY.
    const c = await RtClient.connect(app.url, `?token=${app.keys.service_role}`);
    try {
      for (let i = 0; i < 8; i++) {
        expect((await call('POST', BASE, { table: 'comments' })).status).toBe(201);
        const on = await c.request({ type: 'subscribe', channel: `now-on-${i}`, config: { table: 'comments' } });
        expect(on.type, JSON.stringify(on)).toBe('ack');
        expect((await call('DELETE', `${BASE}/public/comments`)).status).toBe(200);
        const off = await c.request({ type: 'subscribe', channel: `now-off-${i}`, config: { table: 'comments' } });
        expect([off.type, off.payload?.code ?? off.code]).toEqual(['error', 'TABLE_NOT_ENABLED']);
      }
    } finally {
      await c.close();
    }
  });
});

describe('bad input', () => {
  // [name, method, path, body, status, code, extra expectations on the body]
  const cases: [string, string, string, unknown, number, string, Record<string, unknown>?][] = [
    ['no table', 'POST', BASE, {}, 400, 'MISSING_REQUIRED_FIELD', { details: { field: 'table' } }],
    ['an empty table', 'POST', BASE, { table: '' }, 400, 'MISSING_REQUIRED_FIELD', { details: { field: 'table' } }],
    ['a table that is not a string', 'POST', BASE, { table: 5 }, 400, 'VALIDATION_FAILED', { details: { fields: { table: 'must be a string' } } }],
    ['a table name over 63 characters', 'POST', BASE, { table: 'x'.repeat(64) }, 400, 'VALIDATION_FAILED'],
    ['an empty schema', 'POST', BASE, { schema: '', table: 'posts' }, 400, 'VALIDATION_FAILED', { details: { fields: { schema: 'must not be empty' } } }],
    ['a Fluxbase schema', 'POST', BASE, { schema: 'auth', table: 'users' }, 400, 'VALIDATION_FAILED', { details: { fields: { schema: 'is internal to Fluxbase' } } }],
    ['the realtime schema', 'POST', BASE, { schema: 'realtime', table: 'schema_registry' }, 400, 'VALIDATION_FAILED'],
    ['a PostgreSQL schema', 'POST', BASE, { schema: 'pg_catalog', table: 'pg_class' }, 400, 'VALIDATION_FAILED'],
    ['information_schema', 'POST', BASE, { schema: 'information_schema', table: 'tables' }, 400, 'VALIDATION_FAILED'],
    ['an unknown table', 'POST', BASE, { table: 'nope' }, 404, 'NOT_FOUND', { details: { resource: 'table' } }],
    ['an unknown schema', 'POST', BASE, { schema: 'nowhere', table: 'posts' }, 404, 'NOT_FOUND'],
    ['a view', 'POST', BASE, { table: 'posts_view' }, 400, 'VALIDATION_FAILED', { details: { fields: { table: 'is a view' } } }],
    ['an unknown excluded column', 'POST', BASE, { table: 'comments', exclude: ['titel'] }, 400, 'UNKNOWN_COLUMN', { details: { table: 'public.comments', column: 'titel' } }],
    ['a misspelt excluded column', 'POST', BASE, { table: 'comments', exclude: ['bodi'] }, 400, 'UNKNOWN_COLUMN', { hint: 'Perhaps you meant "body"' }],
    ['an unknown event', 'POST', BASE, { table: 'comments', events: ['TRUNCATE'] }, 400, 'VALIDATION_FAILED', { details: { fields: { 'events[0]': 'must be "INSERT" or "UPDATE" or "DELETE"' } } }],
    ['"*" as an event', 'POST', BASE, { table: 'comments', events: ['*'] }, 400, 'VALIDATION_FAILED'],
    ['no events', 'POST', BASE, { table: 'comments', events: [] }, 400, 'VALIDATION_FAILED', { details: { fields: { events: 'must not be empty' } } }],
    ['events as a string', 'POST', BASE, { table: 'comments', events: 'INSERT' }, 400, 'VALIDATION_FAILED', { details: { fields: { events: 'must be an array' } } }],
    ['an event that is not a string', 'POST', BASE, { table: 'comments', events: [1] }, 400, 'VALIDATION_FAILED'],
    ['exclude as a string', 'POST', BASE, { table: 'comments', exclude: 'body' }, 400, 'VALIDATION_FAILED', { details: { fields: { exclude: 'must be an array' } } }],
    ['an excluded column that is not a string', 'POST', BASE, { table: 'comments', exclude: [7] }, 400, 'VALIDATION_FAILED', { details: { fields: { 'exclude[0]': 'must be a string' } } }],
    ['an unknown field', 'POST', BASE, { table: 'comments', excluded: ['body'] }, 400, 'VALIDATION_FAILED', { details: { fields: { excluded: 'unknown field' } } }],
    ['an array body', 'POST', BASE, [{ table: 'comments' }], 400, 'INVALID_REQUEST_BODY'],
    ['no body', 'POST', BASE, undefined, 400, 'INVALID_REQUEST_BODY'],
    ['invalid JSON', 'POST', BASE, '{"table": ', 400, 'INVALID_JSON'],
    ['enabled=maybe', 'GET', `${BASE}?enabled=maybe`, undefined, 400, 'VALIDATION_FAILED', { details: { fields: { enabled: 'must be true or false' } } }],
    ['GET of an internal schema', 'GET', `${BASE}/auth/users`, undefined, 400, 'VALIDATION_FAILED'],
    ['GET of an unknown table', 'GET', `${BASE}/public/nope`, undefined, 404, 'NOT_FOUND'],
    ['GET of a name over 63 characters', 'GET', `${BASE}/public/${'x'.repeat(64)}`, undefined, 400, 'VALIDATION_FAILED'],
    ['PATCH of a table not enabled', 'PATCH', `${BASE}/public/comments`, { events: ['INSERT'] }, 404, 'NOT_FOUND'],
    ['PATCH of an unknown table', 'PATCH', `${BASE}/public/nope`, { events: ['INSERT'] }, 404, 'NOT_FOUND'],
    ['PATCH of an internal schema', 'PATCH', `${BASE}/storage/objects`, { events: ['INSERT'] }, 400, 'VALIDATION_FAILED'],
    ['PATCH with nothing to change', 'PATCH', `${BASE}/public/posts`, {}, 400, 'VALIDATION_FAILED'],
    ['PATCH with no body', 'PATCH', `${BASE}/public/posts`, undefined, 400, 'VALIDATION_FAILED'],
    ['PATCH of an unknown excluded column', 'PATCH', `${BASE}/public/posts`, { exclude: ['nope'] }, 400, 'UNKNOWN_COLUMN'],
    ['PATCH with a bad event', 'PATCH', `${BASE}/public/posts`, { events: ['UPSERT'] }, 400, 'VALIDATION_FAILED'],
    ['PATCH with an unknown field', 'PATCH', `${BASE}/public/posts`, { events: ['INSERT'], schema: 'crm' }, 400, 'VALIDATION_FAILED'],
    ['DELETE of an unknown table', 'DELETE', `${BASE}/public/nope`, undefined, 404, 'NOT_FOUND'],
    ['DELETE of an internal schema', 'DELETE', `${BASE}/auth/users`, undefined, 400, 'VALIDATION_FAILED'],
  ];

  it.each(cases)('refuses %s', async (_name, method, path, body, status, code, extra) => {
    const before = await db.sql`select schema_name, table_name, events, excluded_columns, updated_at from realtime.schema_registry order by id`;
    const r = await call(method, path, body);
    expect([r.status, r.body?.code]).toEqual([status, code]);
    expect(r.body).toMatchObject({ error: expect.any(String), request_id: expect.any(String), ...extra });
    expect(JSON.stringify(r.body)).not.toMatch(/\bselect\b.*\bfrom\b|\.ts:\d/i); // no SQL, no stack
    // A refused call changed nothing.
    expect(await db.sql`select schema_name, table_name, events, excluded_columns, updated_at from realtime.schema_registry order by id`).toEqual(before);
  });

  it('leaves the trigger of a table alone when an update is refused', async () => {
    const before = await triggerOf('public.posts');
    expect((await call('PATCH', `${BASE}/public/posts`, { events: ['UPDATE', 'INSERT'], exclude: ['missing'] })).status).toBe(400);
    expect(await triggerOf('public.posts')).toBe(before);
  });
});
