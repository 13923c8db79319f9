// Principal resolution and the per-request transaction context against real PostgreSQL:
// the role each credential runs as, the GUCs and auth.* helpers, Row Level Security
// doing the authorization, and the 401s of docs/getting-started.md "Keys".
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from '../src/http/index.ts';
import { createTestDatabase, startTestApp, TEST_JWT_SECRET, type TestApp, type TestDatabase } from './harness/index.ts';
import { testRoutes } from './harness/test-routes.ts';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  // A user table created by the owner, as a user's migration would: default grants apply.
  await db.sql.unsafe(`
    create table public.notes (id serial primary key, owner uuid not null default auth.uid(), body text not null check (length(body) < 100));
    alter table public.notes enable row level security;
    create policy own_rows on public.notes for all to authenticated using (owner = auth.uid()) with check (owner = auth.uid());
    insert into public.notes (owner, body) values ('${ALICE}', 'alice 1'), ('${ALICE}', 'alice 2'), ('${BOB}', 'bob 1');`);
  app = await startTestApp(db.url, { plugins: [testRoutes()] });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const whoami = async (headers: Record<string, string> = {}) => {
  const res = await app.fetch('/api/v1/__test/whoami', { headers });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read nested fields freely
  return { res, body: (await res.json()) as Record<string, any> };
};
const sqlAs = (headers: Record<string, string>, sql: string, extra: Record<string, unknown> = {}) =>
  app.fetch('/api/v1/__test/sql', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ sql, ...extra }) });
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

describe('principal → role and claims', () => {
  it('runs a request without credentials as anon', async () => {
    const { res, body } = await whoami({ 'X-Request-ID': 'rid-anon' });
    expect(res.status).toBe(200);
    expect(body.principal).toEqual({ kind: 'anonymous', role: 'anon', userId: null });
    expect(body.db).toMatchObject({ db_role: 'anon', login_role: 'fluxbase_authenticator', uid: null, role: 'anon', request_id: 'rid-anon', method: 'GET' });
    expect(body.db.path).toBe('/api/v1/__test/whoami');
  });

  it('runs the anon key as anon (apikey or Bearer)', async () => {
    for (const h of [{ apikey: app.keys.anon }, bearer(app.keys.anon)]) {
      const { body } = await whoami(h);
      expect(body.principal.kind).toBe('anon_key');
      expect(body.db.db_role).toBe('anon');
    }
  });

  it('runs a user token as authenticated with auth.uid() and the claims', async () => {
    const { body } = await whoami({ apikey: app.keys.anon, ...bearer(app.userToken(ALICE, { email: 'alice@example.com', user_role: 'admin' })) });
    expect(body.principal).toEqual({ kind: 'user', role: 'authenticated', userId: ALICE });
    expect(body.db).toMatchObject({ db_role: 'authenticated', uid: ALICE, role: 'authenticated', is_authenticated: true, is_admin: true });
    expect(body.db.jwt).toMatchObject({ sub: ALICE, email: 'alice@example.com', role: 'authenticated' });
  });

  it('maps any other role claim to authenticated', async () => {
    const { body } = await whoami(bearer(app.userToken(ALICE, { role: 'editor' })));
    expect(body.db.db_role).toBe('authenticated');
    expect(body.db.jwt.role).toBe('authenticated');
  });

  it('runs the service-role key as service_role (Bearer, apikey or X-Service-Key)', async () => {
    for (const h of [bearer(app.keys.service_role), { apikey: app.keys.service_role }, { 'X-Service-Key': app.keys.service_role }] as Record<string, string>[]) {
      const { body } = await whoami(h);
      expect(body.principal.kind).toBe('service_role');
      expect(body.db).toMatchObject({ db_role: 'service_role', is_admin: true });
    }
  });

  it('leaves auth.uid() NULL for a sub that is not a uuid', async () => {
    const { body } = await whoami(bearer(app.userToken('not-a-uuid')));
    expect(body.db.uid).toBeNull();
  });

  it('records request transactions in fluxbase_db_query_duration_seconds', async () => {
    await whoami();
    const text = await (await app.fetch('/metrics')).text();
    expect(text).toMatch(/fluxbase_db_query_duration_seconds_count\{operation="request"\} [1-9]\d*/);
  });

  it('resets the context between requests on a reused connection', async () => {
    await whoami(bearer(app.keys.service_role));
    const { body } = await whoami();
    expect(body.db.db_role).toBe('anon');
    expect(body.db.jwt).toEqual({ role: 'anon' });
  });
});

describe('Row Level Security does the authorization', () => {
  it('shows a user only their rows, anon none, service role all', async () => {
    const read = async (h: Record<string, string>) => (await (await sqlAs(h, 'select body from public.notes order by id')).json()) as { body: string }[];
    expect((await read(bearer(app.userToken(ALICE)))).map((r) => r.body)).toEqual(['alice 1', 'alice 2']);
    expect((await read(bearer(app.userToken(BOB)))).map((r) => r.body)).toEqual(['bob 1']);
    expect(await read(bearer(app.keys.service_role))).toHaveLength(3);
    expect(await read({})).toEqual([]); // anon has the grant but no policy: no rows
  });

  it('refuses a write that fails WITH CHECK with 403 RLS_POLICY_VIOLATION', async () => {
    const res = await sqlAs(bearer(app.userToken(BOB)), `insert into public.notes (owner, body) values ('${ALICE}', 'forged')`);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'RLS_POLICY_VIOLATION', hint: "Check the table's policies" });
  });

  it('commits a request transaction, and rolls it back on request', async () => {
    const h = bearer(app.userToken(BOB));
    await sqlAs(h, "insert into public.notes (body) values ('kept')");
    await sqlAs(h, "insert into public.notes (body) values ('dropped')", { rollback: true });
    const rows = await db.sql`select body from public.notes where owner = ${BOB} order by id`;
    expect(rows.map((r) => r.body)).toEqual(['bob 1', 'kept']);
  });

  it('cannot escape its role with SET ROLE or set_config', async () => {
    const h = bearer(app.userToken(BOB));
    const res = await sqlAs(h, 'set role postgres');
    expect(res.status).toBe(403);
    // The login role may switch among the three request roles only, never to the owner.
    const res3 = await sqlAs(h, "select set_config('role', 'postgres', true)");
    expect(res3.status).toBe(403);
  });
});

describe('database errors through the pipeline', () => {
  const service = () => bearer(app.keys.service_role);
  it.each([
    ['unique', 'insert into public.notes (id, owner, body) values (1, gen_random_uuid(), \'dup\')', 409, 'DUPLICATE_KEY'],
    ['not null', 'insert into public.notes (owner, body) values (gen_random_uuid(), null)', 400, 'NOT_NULL_VIOLATION'],
    ['check', `insert into public.notes (owner, body) values (gen_random_uuid(), repeat('x', 200))`, 400, 'CHECK_VIOLATION'],
    ['invalid input', "select 'abc'::int", 400, 'INVALID_INPUT'],
    ['raise', "do $$ begin raise exception 'custom failure'; end $$", 400, 'RAISED_EXCEPTION'],
    ['unknown table', 'select * from public.nope', 404, 'TABLE_NOT_FOUND'],
    ['statement timeout', "set local statement_timeout = '50ms'; select pg_sleep(1)", 504, 'STATEMENT_TIMEOUT'],
  ])('%s → %i %s', async (_n, sql, status, code) => {
    const res = await sqlAs(service(), sql);
    expect(res.status).toBe(status);
    const body = (await res.json()) as { code: string; request_id: string };
    expect(body.code).toBe(code);
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('maps a foreign-key violation to 409', async () => {
    await db.sql.unsafe('create table public.parents (id int primary key); create table public.children (id int primary key, parent int references public.parents(id))');
    const res = await sqlAs(service(), 'insert into public.children values (1, 42)');
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: 'FOREIGN_KEY_VIOLATION', details: { table: 'public.children', constraint: 'children_parent_fkey' } });
  });

  it('maps a missing grant to 403 INSUFFICIENT_PERMISSIONS, or 401 AUTHENTICATION_REQUIRED for anon', async () => {
    await db.sql.unsafe('create table public.locked (id int); revoke all on public.locked from anon, authenticated');
    const res = await sqlAs(bearer(app.userToken(ALICE)), 'select * from public.locked');
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('INSUFFICIENT_PERMISSIONS');
    const anon = await sqlAs({}, 'select * from public.locked');
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as { code: string }).code).toBe('AUTHENTICATION_REQUIRED');
  });

  it('renders PostgreSQL code, message and detail on /rest/v1', async () => {
    const res = await app.fetch('/rest/v1/__test/sql', {
      method: 'POST', headers: { 'Content-Type': 'application/json', ...service() },
      body: JSON.stringify({ sql: "insert into public.notes (id, owner, body) values (2, gen_random_uuid(), 'dup')" }),
    });
    expect(res.status).toBe(409);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.code).toBe('23505');
    expect(body.message).toContain('duplicate key value violates unique constraint');
    expect(body.details).toBe('Key (id)=(2) already exists.');
  });

  it('answers an unmapped database error with 500 and no SQL or detail', async () => {
    const res = await sqlAs(service(), "do $$ begin raise sqlstate 'XX001' using message = 'secret internal detail'; end $$");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ code: 'DATABASE_ERROR', error: 'Database error' });
    expect(text).not.toContain('secret internal detail');
    expect(text).not.toContain('raise');
  });
});

describe('pool and statement bounds', () => {
  it('applies database.statement_timeout to request statements (504 STATEMENT_TIMEOUT)', async () => {
    const strict = await startTestApp(db.url, { overrides: { database: { statement_timeout: '200ms' } }, plugins: [testRoutes()] });
    try {
      const res = await strict.fetch('/api/v1/__test/sql', {
        method: 'POST', headers: { 'Content-Type': 'application/json', ...bearer(strict.keys.service_role) },
        body: JSON.stringify({ sql: 'select pg_sleep(2)' }),
      });
      expect(res.status).toBe(504);
      expect(((await res.json()) as { code: string }).code).toBe('STATEMENT_TIMEOUT');
    } finally {
      await strict.close();
    }
  });

  it('answers 503 with Retry-After when no connection frees up within database.pool_wait_timeout', async () => {
    const small = await startTestApp(db.url, { overrides: { database: { max_connections: 1, min_connections: 1, pool_wait_timeout: '200ms' } }, plugins: [testRoutes()] });
    try {
      const h = { 'Content-Type': 'application/json', ...bearer(small.keys.service_role) };
      // A gate, not a sleep: the only connection is held by a request blocked on a lock we hold.
      const gate = await db.sql.reserve();
      await gate`select pg_advisory_lock(4242)`;
      const slow = small.fetch('/api/v1/__test/sql', { method: 'POST', headers: h, body: JSON.stringify({ sql: 'select pg_advisory_xact_lock(4242)' }) });
      try {
        // Wait until that request is really blocked on the lock (so holds the pool's only
        // connection); the pool's in-use count alone can also be a background worker's moment.
        const deadline = Date.now() + 10_000;
        const waiting = async () => (await db.sql`select 1 from pg_locks where locktype = 'advisory' and objid = 4242 and not granted`).length > 0;
        while (!(await waiting()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        expect(small.server.db.pool.stats().inUse).toBe(1);
        const res = await small.fetch('/api/v1/__test/whoami', { headers: bearer(small.keys.service_role) });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(((await res.json()) as { code: string }).code).toBe('SERVICE_UNAVAILABLE');
      } finally {
        await gate`select pg_advisory_unlock(4242)`;
        gate.release();
      }
      expect((await slow).status).toBe(200);
      expect((await small.fetch('/api/v1/__test/whoami')).status).toBe(200); // the pool recovers
    } finally {
      await small.close();
    }
  });
});

describe('bad credentials', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  it.each([
    ['garbage', 'garbage', 'INVALID_TOKEN', 'malformed'],
    ['wrong secret', signJwt({ role: 'authenticated', sub: ALICE, exp: now() + 60 }, 'w'.repeat(40)), 'INVALID_TOKEN', 'bad_signature'],
    ['alg none', `${b64({ alg: 'none' })}.${b64({ role: 'service_role' })}.`, 'INVALID_TOKEN', 'unsupported_algorithm'],
    ['HS512', (() => {
      const h = b64({ alg: 'HS512', typ: 'JWT' });
      const p = b64({ role: 'service_role' });
      return `${h}.${p}.${createHmac('sha512', TEST_JWT_SECRET).update(`${h}.${p}`).digest('base64url')}`;
    })(), 'INVALID_TOKEN', 'unsupported_algorithm'],
    ['expired', signJwt({ role: 'authenticated', sub: ALICE, exp: now() - 120 }, TEST_JWT_SECRET), 'EXPIRED_TOKEN', undefined],
    ['future nbf', signJwt({ role: 'authenticated', sub: ALICE, exp: now() + 600, nbf: now() + 300 }, TEST_JWT_SECRET), 'INVALID_TOKEN', 'not_yet_valid'],
    ['user token without exp', signJwt({ role: 'authenticated', sub: ALICE }, TEST_JWT_SECRET), 'INVALID_TOKEN', 'invalid_claims'],
  ])('%s → 401 %s', async (_n, token, code, reason) => {
    const { res, body } = await whoami(bearer(token));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(body.code).toBe(code);
    if (reason) expect(body.details).toEqual({ reason });
  });

  it('refuses an unsupported Authorization scheme', async () => {
    const { res, body } = await whoami({ Authorization: 'Basic dXNlcjpwYXNz' });
    expect(res.status).toBe(401);
    expect(body.details.reason).toBe('malformed');
  });

  it('never falls back to a weaker credential: a bad Bearer with a good apikey is 401', async () => {
    const { res } = await whoami({ apikey: app.keys.anon, Authorization: 'Bearer nope' });
    expect(res.status).toBe(401);
  });

  it('requires both credentials to be valid when apikey and Authorization are sent', async () => {
    const { res, body } = await whoami({ apikey: 'bad-key', ...bearer(app.userToken(ALICE)) });
    expect(res.status).toBe(401);
    expect(body.code).toBe('INVALID_API_KEY');
  });

  it('refuses X-Client-Key and unknown sk_ keys with INVALID_API_KEY', async () => {
    expect((await whoami({ 'X-Client-Key': 'fbk_123' })).body.code).toBe('INVALID_API_KEY');
    const sk = await whoami({ 'X-Service-Key': `sk_${'a'.repeat(43)}` });
    expect([sk.res.status, sk.body.code, sk.body.details.reason]).toEqual([401, 'INVALID_API_KEY', 'unknown']);
  });

  it('refuses an anon key in X-Service-Key', async () => {
    const { res, body } = await whoami({ 'X-Service-Key': app.keys.anon });
    expect([res.status, body.code]).toEqual([401, 'INVALID_API_KEY']);
  });

  it('checks aud when auth.jwt_audience is set', async () => {
    const strict = await startTestApp(db.url, { overrides: { auth: { jwt_audience: 'my-app' } }, plugins: [testRoutes()] });
    try {
      const bad = await strict.fetch('/api/v1/__test/whoami', { headers: bearer(strict.userToken(ALICE)) });
      expect(bad.status).toBe(401);
      expect(((await bad.json()) as { details: unknown }).details).toEqual({ reason: 'invalid_audience' });
      const good = await strict.fetch('/api/v1/__test/whoami', { headers: bearer(strict.userToken(ALICE, { aud: 'my-app' })) });
      expect(good.status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('requires a credential everywhere but public routes when auth.require_api_key is on', async () => {
    const strict = await startTestApp(db.url, { overrides: { auth: { require_api_key: true } }, plugins: [testRoutes()] });
    try {
      const res = await strict.fetch('/api/v1/__test/whoami');
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('MISSING_AUTHENTICATION');
      expect((await strict.fetch('/api/v1/__test/whoami', { headers: { apikey: strict.keys.anon } })).status).toBe(200);
      expect((await strict.fetch('/health')).status).toBe(200);
    } finally {
      await strict.close();
    }
  });
});

describe('global rate limit', () => {
  it('limits per principal, sends X-RateLimit-* headers and exempts the service role', async () => {
    const limited = await startTestApp(db.url, { overrides: { rate_limit: { global: '3/1m' } }, plugins: [testRoutes()] });
    try {
      const h = bearer(limited.userToken(ALICE));
      const codes: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await limited.fetch('/api/v1/__test/whoami', { headers: h });
        codes.push(last.status);
      }
      expect(codes).toEqual([200, 200, 200, 429]);
      expect(last!.headers.get('x-ratelimit-limit')).toBe('3');
      expect(last!.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await last!.json()) as { retry_after: number };
      expect(body).toMatchObject({ code: 'RATE_LIMITED', details: { limiter: 'global', limit: 3, window_seconds: 60 } });
      expect(body.retry_after).toBe(Number(last!.headers.get('retry-after')));
      // Another user has their own budget; the service role is exempt.
      expect((await limited.fetch('/api/v1/__test/whoami', { headers: bearer(limited.userToken(BOB)) })).status).toBe(200);
      for (let i = 0; i < 5; i++) expect((await limited.fetch('/api/v1/__test/whoami', { headers: bearer(limited.keys.service_role) })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
