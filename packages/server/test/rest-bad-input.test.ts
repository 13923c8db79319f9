// Bad input on the REST routes: every class gets a clear 4xx in the mount's error shape,
// never a 5xx and never SQL text, and nothing is changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRestApp, stopRestApp } from './harness/rest-fixture.ts';
import type { TestApp, TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  ({ db, app } = await startRestApp());
});
afterAll(() => stopRestApp(db, app));

const SQL_WORDS = /\bselect\b.*\bfrom\b|\binsert into\b|\bdelete from\b|\$\d|\bt0\.|set_config/i;

async function expectClientError(path: string, status: number, code: string | RegExp, init: RequestInit = {}) {
  const res = await app.fetch(path, init);
  const body = await res.json() as { code: string; message: string; request_id: string };
  expect(res.status, `${path}: ${JSON.stringify(body)}`).toBe(status);
  if (typeof code === 'string') expect(body.code).toBe(code);
  else expect(body.code).toMatch(code);
  expect(body.request_id).toBeTruthy();
  expect(body.message ?? '').not.toMatch(SQL_WORDS);
  return body;
}

describe('names', () => {
  it('unknown table, column and relationship name the closest match', async () => {
    expect((await expectClientError('/rest/v1/post', 404, 'PGRST205')).message).toMatch(/post/);
    const t = await app.fetch('/api/v1/tables/post').then((r) => r.json()) as { hint: string };
    expect(t.hint).toMatch(/posts/);
    const c = await app.fetch('/api/v1/tables/posts?select=titel').then((r) => r.json()) as { code: string; hint: string };
    expect(c).toMatchObject({ code: 'UNKNOWN_COLUMN' });
    expect(c.hint).toMatch(/title/);
    await expectClientError('/rest/v1/posts?titel=eq.x', 400, 'PGRST204');
    await expectClientError('/rest/v1/posts?order=titel', 400, 'PGRST204');
    const rel = await expectClientError('/rest/v1/posts?select=*,autors(*)', 400, 'PGRST200');
    expect(JSON.stringify(rel)).toMatch(/authors/);
    await expectClientError('/rest/v1/posts?select=*,tags(nope)', 400, 'PGRST204');
    await expectClientError('/rest/v1/posts?tags.label=eq.x', 400, 'PGRST200');
  });

  it('schemas that are not exposed are refused', async () => {
    await expectClientError('/rest/v1/users', 406, 'PGRST106', { headers: { 'Accept-Profile': 'auth' } });
    await expectClientError('/api/v1/tables/auth/users', 406, 'SCHEMA_NOT_EXPOSED');
    await expectClientError('/api/v1/tables/fluxbase/schema_migrations', 406, 'SCHEMA_NOT_EXPOSED');
  });
});

describe('grammar', () => {
  const cases: [string, string][] = [
    ['/rest/v1/posts?id=1', 'malformed filter (no operator)'],
    ['/rest/v1/posts?id=foo.1', 'unknown operator'],
    ['/rest/v1/posts?id=eq', 'operator without value'],
    ['/rest/v1/posts?select=title::nosuchtype', 'bad cast'],
    ['/rest/v1/posts?select=id::text);drop table posts;--', 'cast injection'],
    ['/rest/v1/posts?select=meta->', 'bad JSON path'],
    ['/rest/v1/posts?limit=-1', 'negative limit'],
    ['/rest/v1/posts?limit=99999999999999999999', 'huge limit'],
    ['/rest/v1/posts?offset=abc', 'non-numeric offset'],
    ['/rest/v1/posts?order=id.sideways', 'bad order'],
    ['/rest/v1/posts?or=(id.eq.1', 'unbalanced logic'],
    ['/rest/v1/posts?title=%C3%28', 'invalid UTF-8'],
    ['/rest/v1/posts?title=eq.a%00b', 'NUL byte'],
    ['/rest/v1/posts?title=%zz', 'bad percent escape'],
    ['/rest/v1/posts?search=fts(eng-lish).x', 'bad fts language'],
    [`/rest/v1/posts?or=${'('.repeat(1)}${'or('.repeat(12)}id.eq.1${')'.repeat(13)}`, 'deeply nested or'],
  ];
  for (const [path, name] of cases) {
    it(`${name} → 400`, async () => {
      await expectClientError(path, 400, /^PGRST10\d|PGRST204$/);
    });
  }

  it('10,000-element in lists are accepted; 10,001 are refused', async () => {
    const body = await app.fetch('/api/v1/tables/posts/query', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ select: 'id', filters: [{ column: 'id', operator: 'in', value: Array.from({ length: 10_000 }, (_, i) => i) }] }),
    });
    expect(body.status).toBe(200);
    expect(((await body.json()) as unknown[]).length).toBe(4);
    const tooMany = await app.fetch('/api/v1/tables/posts/query', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ select: 'id', filters: [{ column: 'id', operator: 'in', value: Array.from({ length: 10_001 }, (_, i) => i) }] }),
    });
    expect(tooMany.status).toBe(400);
  });

  it('values of the wrong type are 400 INVALID_INPUT, not 500', async () => {
    await expectClientError('/rest/v1/posts?id=eq.abc', 400, '22P02');
    await expectClientError('/api/v1/tables/posts?created_at=gt.not-a-date', 400, 'INVALID_INPUT');
    await expectClientError('/rest/v1/posts?title=match.(', 400, /^2201B$/);
    await expectClientError('/rest/v1/posts?title=cs.{a}', 400, /^PGRST100$|^42883$/);
  });

  it('SQL injection attempts in every position stay inert', async () => {
    const attacks = [
      '/rest/v1/posts?select=id,"title;drop table posts"',
      '/rest/v1/posts?title=eq.x\'); drop table posts; --',
      '/rest/v1/posts?order=id;drop table posts',
      '/rest/v1/posts?select=x:id&id=in.(1);drop table posts',
      "/rest/v1/posts?meta->>'a'';drop table posts;--=eq.1",
      '/rest/v1/posts?search=fts(english\');drop table posts;--).x',
      '/rest/v1/rpc/add?a=1);drop table posts;--&b=1',
    ];
    for (const path of attacks) {
      const res = await app.fetch(encodeURI(path).replaceAll('%25', '%'));
      expect(res.status, path).toBeLessThan(500);
    }
    expect((await db.sql`select count(*)::int as n from public.posts`)[0]!.n).toBeGreaterThan(0);
  });
});

describe('bodies', () => {
  it('invalid JSON, wrong shapes and wrong content types', async () => {
    await expectClientError('/api/v1/tables/tags', 400, 'INVALID_JSON', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"id":' });
    await expectClientError('/rest/v1/tags', 400, 'PGRST102', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '"just a string"' });
    await expectClientError('/rest/v1/tags', 400, 'PGRST102', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' });
    await expectClientError('/rest/v1/tags', 400, 'PGRST102', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[1,2]' });
    await expectClientError('/api/v1/tables/tags', 415, 'UNSUPPORTED_MEDIA_TYPE', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'id=1' });
    await expectClientError('/api/v1/tables/tags/query', 400, /INVALID_REQUEST_BODY|INVALID_FILTER/, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"filters":"nope"}' });
    await expectClientError('/api/v1/tables/tags', 400, 'INVALID_INPUT', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"id":"x","label":"y"}' });
  });

  it('constraint violations map to their codes without row values', async () => {
    const dup = await app.fetch('/api/v1/tables/tags', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"id":1,"label":"secret-value"}' });
    expect(dup.status).toBe(409);
    const body = await dup.json() as Record<string, unknown>;
    expect(body.code).toBe('DUPLICATE_KEY');
    expect(JSON.stringify(body)).not.toMatch(/secret-value/);
    const fk = await app.fetch('/rest/v1/posts', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"title":"x","author_id":999}' });
    expect(fk.status).toBe(409);
    expect(((await fk.json()) as { code: string }).code).toBe('23503');
    const nn = await app.fetch('/rest/v1/posts', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"body":"no title"}' });
    expect(nn.status).toBe(400);
  });
});
