// A hostile client, seeded so every run sends the same requests: thousands of malformed
// requests over every route family (paths with bad encodings, query strings and the select
// grammar, casts, Range/Prefer/If-Match headers, bodies malformed, deep, huge, of the wrong
// type, with duplicate or prototype keys; forged and odd tokens). For each: no 5xx, an
// answer in the envelope with request_id = X-Request-ID, no SQL or stack text. At the end
// the seeded rows are unchanged and /ready is 200.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signJwt } from '../src/http/index.ts';
import { createTestDatabase, startTestApp, TEST_JWT_SECRET, type TestApp, type TestDatabase } from './harness/index.ts';

vi.setConfig({ testTimeout: 300_000 });

const SEED = 20261206;
const COUNT = 2400;
let db: TestDatabase;
let app: TestApp;

const USER = '11111111-1111-4111-8111-111111111111';

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe(`
    create table public.books (id int primary key, title text not null, price numeric(8,2), published date, tags text[], meta jsonb, owner uuid);
    create table public.authors (id int primary key, name text not null);
    alter table public.books add column author_id int references public.authors(id);
    insert into public.authors values (1, 'Ada'), (2, 'Brian');
    insert into public.books values
      (1, 'Dune', 9.99, '1965-08-01', '{scifi}', '{"lang":"en"}', '${USER}', 1),
      (2, 'Emma', 5.00, '1815-12-23', '{classic}', null, null, 2);
    -- Everyone may read; nobody but the service role may write (the generator never sends it).
    alter table public.books enable row level security;
    alter table public.authors enable row level security;
    create policy read_books on public.books for select using (true);
    create policy read_authors on public.authors for select using (true);
    create function public.add(a int, b int) returns int language sql immutable as 'select a + b';
    create function public.touch(x int) returns int language sql volatile as 'select x';
  `);
  app = await startTestApp(db.url, { overrides: { rate_limit: { enabled: false } } });
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

async function fingerprint(): Promise<string> {
  const rows = await db.sql`select (select json_agg(b order by id) from public.books b) as books, (select json_agg(a order by id) from public.authors a) as authors,
    (select count(*) from auth.users) as users`;
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex');
}

interface HostileRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const now = Math.floor(Date.now() / 1000);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const tokens = [
  '', 'Bearer', 'Bearer ', 'Bearer nope', 'Bearer a.b.c', 'Bearer ....', `Bearer ${'x'.repeat(9000)}`, 'Basic dXNlcjpwYXNz', 'bearer  spaced',
  `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ role: 'service_role', exp: now + 600 })}.`,
  `Bearer ${b64({ alg: 'HS512', typ: 'JWT' })}.${b64({ role: 'service_role' })}.sig`,
  `Bearer ${signJwt({ role: 'service_role', iat: now, exp: now + 600 }, 'another-secret-0123456789abcdefghijkl')}`,
  `Bearer ${signJwt({ role: 'authenticated', sub: USER, iat: now - 7200, exp: now - 3600 }, TEST_JWT_SECRET)}`,
  `Bearer ${signJwt({ role: 'authenticated', sub: 'not-a-uuid', iat: now, exp: now + 600 }, TEST_JWT_SECRET)}`,
  `Bearer ${signJwt({ role: 'postgres', sub: USER, iat: now, exp: now + 600 }, TEST_JWT_SECRET)}`,
  `Bearer ${signJwt({ role: 'authenticated', sub: USER, iat: now, exp: now + 600, session_id: 'x' }, TEST_JWT_SECRET)}`,
  `Bearer ${signJwt({ role: 'authenticated', sub: USER, iat: now, exp: now + 600 }, TEST_JWT_SECRET)}`,
  `Bearer ${signJwt({ role: 'anon', iat: now, exp: now + 600 }, TEST_JWT_SECRET)}`,
  'ServiceKey sk_live_nope', 'Bearer sk_test_abcdefghijklmnopqrstuvwxyz',
];

const tables = ['books', 'authors', 'nope', 'pg_catalog.pg_authid', 'auth.users', 'BOOKS', 'books;drop', 'böoks', '%62ooks', ''];
const badPieces = ['%', '%G1', '%%', '%E0%80%AF', '%ED%BF%BF', '%F4%90%80%80', '%FF', '%00', '..', '%2e%2e', '%2F', '//', '\u00e9', '%C0%AF', ';', "'", '"', '(', ')', '{', '*', '\\'];
const columns = ['id', 'title', 'price', 'published', 'tags', 'meta', 'owner', 'author_id', 'nope', 'ID', 'meta->lang', 'meta->>lang', 'tags->0', '"title"', 'title;', ''];
const casts = ['', '::int', '::text', '::date', '::jsonb', '::uuid', '::int[]', '::regclass', '::xml', '::nope', '::', '::text::int'];
const ops = ['eq', 'neq', 'gt', 'lt', 'gte', 'lte', 'like', 'ilike', 'match', 'in', 'is', 'cs', 'cd', 'ov', 'fts', 'plfts', 'phfts', 'wfts', 'not.eq', 'nope', 'eq(any)', 'like(all)', 'isdistinct', 'sl', 'adj', ''];
const values = ['1', 'abc', '', 'null', 'true', 'maybe', '(1,2)', '(', '{a,b}', '{', '[1,2)', '2020-13-45', '1e999', '-0', '%', '*', '\\', '\'', '"', 'NaN', '9'.repeat(40), 'a'.repeat(5000), '😀', '\u0000'];

const selectArb = fc.oneof(
  fc.array(fc.tuple(fc.constantFrom(...columns), fc.constantFrom(...casts)).map(([c, k]) => `${c}${k}`), { maxLength: 4 }).map((a) => a.join(',')),
  fc.constantFrom('*', 'id,authors(name)', 'id,authors!inner(name)', 'id,nope(x)', 'id,authors(', 'id,,title', 'count()', 'title.sum()', 'price.avg(),count()',
    '...authors(name)', 'a:b:c', 'id,authors(authors(authors(name)))', '(((', ')', 'id,' + 'x('.repeat(100), 'alias:id::text', 'spread:...authors'),
);
const filterArb = fc.tuple(fc.constantFrom(...columns), fc.constantFrom(...ops), fc.constantFrom(...values))
  .map(([c, o, v]) => `${encodeURIComponent(c)}=${o}.${encodeURIComponent(v)}`);
const logicArb = fc.constantFrom('or=(id.eq.1,title.eq.x)', 'or=(id.eq.1', 'and=(or(id.eq.1,and(id.eq.2)))', 'not.or=(id.eq.1)', 'or=()', `or=(${'or('.repeat(60)}id.eq.1${')'.repeat(60)})`, 'or=(nope.eq.1)', 'and=(id.zz.1)');
const paramArb = fc.oneof(
  filterArb, logicArb,
  selectArb.map((s) => `select=${encodeURIComponent(s)}`),
  fc.constantFrom('order=id.desc', 'order=nope', 'order=id.sideways', 'order=', 'order=meta->lang.desc.nullsfirst', 'order=authors(name)', 'limit=-1', 'limit=abc', 'limit=1e9',
    'offset=-5', 'offset=99999999999999', 'cursor=garbage', 'cursor=eyJ9', 'cursor_column=nope', 'columns=nope', 'on_conflict=nope', 'count=exact', 'group_by=nope', 'truncate=1', 'a=b=c', '&&', '=x'),
);
const queryArb = fc.array(paramArb, { maxLength: 4 }).map((ps) => (ps.length > 0 ? `?${ps.join('&')}` : ''));

const pathArb = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom('/rest/v1/', '/api/v1/tables/', '/api/v1/tables/public/'), fc.constantFrom(...tables)).map(([m, t]) => `${m}${t}`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('/rest/v1/', '/api/v1/tables/'), fc.constantFrom(...tables), fc.constantFrom(...badPieces)).map(([m, t, p]) => `${m}${t}${p}`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('/api/v1/tables/public/books/', '/api/v1/tables/public/authors/'), fc.constantFrom('1', 'x', '-1', '1.5', '%FF', '9'.repeat(30), 'a'.repeat(600))).map(([p, id]) => `${p}${id}`) },
  { weight: 1, arbitrary: fc.constantFrom('/api/v1/tables/books/query', '/api/v1/tables/public/books/query') },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('/rest/v1/rpc/', '/api/v1/rpc/default/', '/api/v1/rpc/public/', '/api/v1/rpc/nope/'), fc.constantFrom('add', 'touch', 'nope', 'pg_sleep', 'add;', '%FF')).map(([p, f]) => `${p}${f}`) },
  { weight: 2, arbitrary: fc.constantFrom('/api/v1/auth/signup', '/api/v1/auth/signin', '/api/v1/auth/refresh', '/api/v1/auth/signout', '/api/v1/auth/user', '/api/v1/auth/otp/signin',
    '/api/v1/auth/otp/verify', '/api/v1/auth/magiclink', '/api/v1/auth/password/reset', '/api/v1/auth/2fa/verify', '/api/v1/auth/2fa/enroll', '/api/v1/auth/verify', '/api/v1/auth/token',
    '/api/v1/auth/oauth/google/authorize', '/api/v1/auth/oauth/nope/callback', '/api/v1/auth/signin/idtoken', '/api/v1/auth/config') },
  { weight: 1, arbitrary: fc.constantFrom('/api/v1/admin/users', '/api/v1/admin/service-keys', '/api/v1/admin/schema/refresh', '/api/v1/admin/schema/typescript', '/api/v1/admin/ddl/tables',
    '/api/v1/admin/mail/outbox', '/rest/v1/', '/api/v1/rpc/procedures', '/health', '/ready', '/metrics', '/', '/nope', '/auth/v1/signup', '//rest/v1/books', '/rest/v1/books/', '/rest/v1//books') },
);

const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const bodyArb = fc.oneof(
  fc.constantFrom(
    '{', '}', '{"a":}', 'null', 'true', '1', '"s"', '[]', '[1,2,3]', '{}', '{"title":null}', '{"id":"x","title":1}', '{"title":"x","title":"y"}',
    '{"__proto__":{"admin":true},"title":"x"}', '{"constructor":{"prototype":{"polluted":1}}}', '{"title":"\\ud800"}', '{"price":1e400}', '{"id":1e309}',
    deep(100), `{"a":${deep(70)}}`, `[${'{"title":"x"},'.repeat(2000)}{"title":"y"}]`, `{"title":"${'a'.repeat(2_000_000)}"}`,
    '{"email":"a@b.c","password":"x"}', '{"email":"nope","password":"correct horse battery staple"}', '{"email":["a"],"password":{}}', '{"refresh_token":"x"}',
    '{"params":{"a":"x","b":[]}}', '{"params":null}', '{"a":1,"b":2}', '{"x":"9999999999999999999999"}', '{"select":"id,nope","filters":[{"column":"id","operator":"zz","value":1}]}',
    '{"select":"*","filters":"nope"}', '\u0000', '\ufeff{}', 'a=b&c=d',
  ),
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
);
const contentTypeArb = fc.constantFrom('application/json', 'application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/vnd.pgrst.object+json',
  'multipart/form-data; boundary=x', 'application/json; charset=latin1', '', 'application/csv', 'text/csv');
const validAuth = ['', `Bearer ${signJwt({ role: 'authenticated', sub: USER, iat: now, exp: now + 600 }, TEST_JWT_SECRET)}`, `Bearer ${signJwt({ role: 'anon', iat: now, exp: now + 600 }, TEST_JWT_SECRET)}`];
const headerArb = fc.record({
  // Mostly credentials that pass, so most requests reach the planner and the database.
  authorization: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...validAuth) }, { weight: 1, arbitrary: fc.constantFrom(...tokens) }),
  apikey: fc.constantFrom('', 'nope', app0Key(), 'sk_nope'),
  prefer: fc.constantFrom('', 'return=representation', 'return=minimal', 'count=exact', 'handling=strict, nope', 'resolution=merge-duplicates', 'tx=rollback', 'max-affected=0', 'return=nope',
    'count=planned', 'missing=default', 'params=single-object', 'a'.repeat(3000)),
  range: fc.constantFrom('', '0-9', '10-1', 'items=0-9', '-5', 'abc', '0-', '99999999999999999999-1'),
  accept: fc.constantFrom('', 'application/json', 'text/csv', 'application/vnd.pgrst.object+json', 'application/xml', '*/*', 'application/geo+json', 'application/openapi+json'),
  ifMatch: fc.constantFrom('', '*', 'W/"x"', '"abc"', 'garbage'),
  ifNoneMatch: fc.constantFrom('', '*', 'W/"x"'),
  profile: fc.constantFrom('', 'public', 'auth', 'nope', 'pg_catalog'),
  idempotencyKey: fc.constantFrom('', 'k1', 'x'.repeat(300)),
  requestId: fc.constantFrom('', 'ok-id', 'bad id with spaces', 'x'.repeat(200), '<script>'),
});

// Filled in once the app exists (the anon key depends on the test secret only, so it is stable).
function app0Key(): string {
  return signJwt({ iss: 'fluxbase', role: 'anon', iat: now, exp: now + 600 }, TEST_JWT_SECRET);
}

const requestArb: fc.Arbitrary<HostileRequest> = fc
  .tuple(fc.constantFrom('GET', 'GET', 'HEAD', 'POST', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS', 'TRACE'), pathArb, queryArb, headerArb, bodyArb, contentTypeArb)
  .map(([method, path, query, h, body, type]) => {
    const headers: Record<string, string> = {};
    if (h.authorization) headers.Authorization = h.authorization;
    if (h.apikey) headers.apikey = h.apikey;
    if (h.prefer) headers.Prefer = h.prefer;
    if (h.range) headers.Range = h.range;
    if (h.accept) headers.Accept = h.accept;
    if (h.ifMatch) headers['If-Match'] = h.ifMatch;
    if (h.ifNoneMatch) headers['If-None-Match'] = h.ifNoneMatch;
    if (h.profile) headers[method === 'GET' || method === 'HEAD' ? 'Accept-Profile' : 'Content-Profile'] = h.profile;
    if (h.idempotencyKey) headers['Idempotency-Key'] = h.idempotencyKey;
    if (h.requestId) headers['X-Request-ID'] = h.requestId;
    const hasBody = !['GET', 'HEAD', 'OPTIONS', 'TRACE'].includes(method);
    if (hasBody && type) headers['Content-Type'] = type;
    return { method, path: `${path}${query}`, headers, ...(hasBody ? { body } : {}) };
  });

const SQL_TEXT = /\b(select|insert|update|delete)\b[^"]{0,80}\b(from|into|set)\b\s+["a-z_]/i;
const STACK = /\n\s+at\s|node_modules|\.ts:\d+|\/work\//;

const statuses = new Map<number, number>();

async function send(r: HostileRequest): Promise<string | undefined> {
  let res: Response;
  try {
    res = await fetch(`${app.url}${r.path}`, { method: r.method, headers: r.headers, ...(r.body !== undefined ? { body: r.body } : {}), redirect: 'manual' });
  } catch (err) {
    // fetch refuses some inputs itself (a malformed URL or header value): nothing was sent.
    if (err instanceof TypeError && !/fetch failed/.test(err.message)) {
      statuses.set(-1, (statuses.get(-1) ?? 0) + 1);
      return undefined;
    }
    return `${r.method} ${r.path.slice(0, 200)}: no answer (${(err as Error).message}; ${String((err as Error).cause)})`;
  }
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  const text = await res.text();
  const where = `${r.method} ${r.path.slice(0, 200)} ${JSON.stringify(r.headers).slice(0, 300)} → ${res.status} ${text.slice(0, 300)}`;
  if (res.status >= 500) return `5xx: ${where}`;
  if (SQL_TEXT.test(text) && res.status >= 400) return `SQL text: ${where}`;
  if (STACK.test(text)) return `stack text: ${where}`;
  if (res.status >= 400 && r.method !== 'HEAD') {
    let body: { request_id?: unknown; code?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return `not JSON: ${where}`;
    }
    if (typeof body.code !== 'string') return `no code: ${where}`;
    if (body.request_id === undefined || body.request_id !== res.headers.get('x-request-id')) return `request_id mismatch: ${where}`;
  }
  return undefined;
}

describe('hostile requests', () => {
  const requests = fc.sample(requestArb, { seed: SEED, numRuns: COUNT });

  it(`${requests.length} seeded malformed requests over every route family: no 5xx, envelope with request_id, no SQL or stack text`, async () => {
    const before = await fingerprint();
    const problems: string[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < requests.length) {
        const problem = await send(requests[next++]!);
        if (problem) problems.push(problem);
      }
    }));
    expect(problems.slice(0, 20), `${problems.length} problems`).toEqual([]);
    const refusedByFetch = statuses.get(-1) ?? 0;
    console.log(`hostile requests: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    expect(requests.length - refusedByFetch, 'requests that reached the server').toBeGreaterThanOrEqual(2000);
    expect(await fingerprint(), 'seeded rows unchanged').toBe(before);
    expect((await app.fetch('/ready')).status).toBe(200);
  });
});
