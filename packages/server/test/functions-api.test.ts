// The functions admin API (API.md §11.1; docs/functions.md "Deploying"): deploy, list, get,
// update (a new version each time), versions and restore, delete, sync with dry runs,
// annotations under explicit fields, the compiler's diagnostics on a bad deploy, admin-only
// access, and each kind of bad input answered in the error envelope. Real server, real Deno.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;
let admin: Record<string, string>;

const HELLO = `export default (req: Request) => new Response("hello " + new URL(req.url).pathname);\n`;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = admin): Promise<{ status: number; json: any }> /* eslint-disable-line @typescript-eslint/no-explicit-any -- response shapes vary per test */ {
  const res = await app.fetch(path, {
    method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp(db.url, process.env.DEBUG_FN ? { logger: (await import('../src/observability/index.ts')).createLogger({ level: 'error', format: 'json' }) } : {});
  admin = { authorization: `Bearer ${app.keys.service_role}` };
}, 60_000);

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

describe('deploying', () => {
  it('creates a function with defaults from the configuration, and lists it without code', async () => {
    const created = await call('POST', '/api/v1/functions', { name: 'hello', code: HELLO, description: 'says hello' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: 'hello', namespace: 'default', version: 1, enabled: true, timeout_seconds: 30, memory_limit_mb: 128,
      allow_net: true, allow_env: false, allow_read: false, allow_write: false, allow_unauthenticated: false, source: 'api', description: 'says hello',
    });
    expect(created.json.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.json).not.toHaveProperty('code');
    const list = await call('GET', '/api/v1/functions');
    expect(list.json.map((f: { name: string }) => f.name)).toContain('hello');
    expect(list.json[0]).not.toHaveProperty('code');
    const one = await call('GET', '/api/v1/functions/hello');
    expect(one.json.code).toBe(HELLO);
  });

  it('answers 409 ALREADY_EXISTS for a second function of the same name', async () => {
    const again = await call('POST', '/api/v1/functions', { name: 'hello', code: HELLO });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('ALREADY_EXISTS');
  });

  it('keeps namespaces apart', async () => {
    expect((await call('POST', '/api/v1/functions', { name: 'hello', namespace: 'billing', code: HELLO })).status).toBe(201);
    const billing = await call('GET', '/api/v1/functions?namespace=billing');
    expect(billing.json.map((f: { namespace: string }) => f.namespace)).toEqual(['billing']);
    expect((await call('GET', '/api/v1/functions/hello?namespace=billing')).json.namespace).toBe('billing');
    expect((await call('DELETE', '/api/v1/functions/hello?namespace=billing')).status).toBe(204);
    expect((await call('GET', '/api/v1/functions/hello')).status).toBe(200);
  });

  it('makes a new version on every update, keeps the fields not given, and restores an old version', async () => {
    const v2 = await call('PUT', '/api/v1/functions/hello', { timeout_seconds: 5 });
    expect(v2.status).toBe(200);
    expect(v2.json).toMatchObject({ version: 2, timeout_seconds: 5, description: 'says hello' });
    const v3 = await call('PATCH', '/api/v1/functions/hello', { code: 'export default () => ({ v: 3 });\n', cors_origins: ['https://app.example'] });
    expect(v3.json).toMatchObject({ version: 3, timeout_seconds: 5, cors_origins: ['https://app.example'] });
    const versions = await call('GET', '/api/v1/functions/hello/versions');
    expect(versions.json.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    const restored = await call('POST', '/api/v1/functions/hello/versions/1/restore');
    expect(restored.status).toBe(200);
    // Exactly version 1's settings: the timeout and CORS given later are gone.
    expect(restored.json).toMatchObject({ version: 4, timeout_seconds: 30, cors_origins: null });
    expect((await call('GET', '/api/v1/functions/hello')).json.code).toBe(HELLO);
    expect((await call('POST', '/api/v1/functions/hello/versions/99/restore')).status).toBe(404);
  });

  it('applies // @fluxbase: annotations, with explicit fields winning', async () => {
    const code = '// @fluxbase:timeout_seconds 7\n// @fluxbase:allow_unauthenticated true\n// @fluxbase:description annotated\nexport default () => "ok";\n';
    const res = await call('POST', '/api/v1/functions', { name: 'annotated', code, description: 'explicit' });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ timeout_seconds: 7, allow_unauthenticated: true, description: 'explicit' });
    // A changed annotation in new code takes effect on update.
    const updated = await call('PUT', '/api/v1/functions/annotated', { code: code.replace('timeout_seconds 7', 'timeout_seconds 9') });
    expect(updated.json.timeout_seconds).toBe(9);
  });

  it('deletes a function, then answers 404 FUNCTION_NOT_FOUND', async () => {
    expect((await call('POST', '/api/v1/functions', { name: 'short-lived', code: HELLO })).status).toBe(201);
    expect((await call('DELETE', '/api/v1/functions/short-lived')).status).toBe(204);
    const gone = await call('GET', '/api/v1/functions/short-lived');
    expect(gone.status).toBe(404);
    expect(gone.json.code).toBe('FUNCTION_NOT_FOUND');
    expect((await call('DELETE', '/api/v1/functions/short-lived')).json.code).toBe('FUNCTION_NOT_FOUND');
  });
});

describe('bad deploys', () => {
  it('answers 400 FUNCTION_BUNDLE_ERROR with the compiler message and line for a syntax error', async () => {
    const res = await call('POST', '/api/v1/functions', { name: 'broken', code: 'export default () => {\n  return (;\n};\n' });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('FUNCTION_BUNDLE_ERROR');
    expect(res.json.message).toMatch(/line 2/);
    expect(res.json.details.diagnostics[0].line).toBe(2);
    expect(res.json.request_id).toBeTruthy();
  });

  it('answers 400 FUNCTION_BUNDLE_ERROR for a type error', async () => {
    const res = await call('POST', '/api/v1/functions', { name: 'typo', code: 'const n: number = "a";\nexport default () => n;\n' });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('FUNCTION_BUNDLE_ERROR');
    expect(res.json.details.diagnostics[0].line).toBe(1);
  });

  it('checks bundled code (is_bundled) as JavaScript: syntax only, and implicit any is never an error', async () => {
    const plain = await call('POST', '/api/v1/functions', { name: 'plain', code: 'export default (req) => ({ m: req.method });\n' });
    expect(plain.status).toBe(201);
    const bundled = await call('POST', '/api/v1/functions', { name: 'bundled', is_bundled: true, code: 'var x = (a) => a;\nexport default () => x(1);\n' });
    expect(bundled.status).toBe(201);
    const typed = await call('POST', '/api/v1/functions', { name: 'bundled-ts', is_bundled: true, code: 'const n: number = 1;\nexport default () => n;\n' });
    expect(typed.status).toBe(400);
    expect(typed.json.code).toBe('FUNCTION_BUNDLE_ERROR');
  });

  it('refuses empty code', async () => {
    const res = await call('POST', '/api/v1/functions', { name: 'empty', code: '   \n' });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('FUNCTION_BUNDLE_ERROR');
    expect(res.json.message).toMatch(/empty/);
  });

  it.each([
    ['Upper', 'upper-case letters'], ['-dash', 'a leading dash'], ['a/b', 'a slash'], ['x'.repeat(64), '64 characters'], ['', 'an empty name'],
  ])('refuses the name %j (%s) naming the rule', async (name) => {
    const res = await call('POST', '/api/v1/functions', { name, code: HELLO });
    expect(res.status).toBe(400);
    expect(['VALIDATION_FAILED', 'MISSING_REQUIRED_FIELD']).toContain(res.json.code);
    expect(res.json.message).toMatch(/name/);
  });

  it('refuses unknown fields, wrong types and limits beyond the configuration', async () => {
    const unknown = await call('POST', '/api/v1/functions', { name: 'x1', code: HELLO, timeout: 5 });
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toMatch(/timeout/);
    const wrongType = await call('POST', '/api/v1/functions', { name: 'x2', code: HELLO, allow_net: 'yes' });
    expect(wrongType.json.code).toBe('VALIDATION_FAILED');
    const tooLong = await call('POST', '/api/v1/functions', { name: 'x3', code: HELLO, timeout_seconds: 3600 });
    expect(tooLong.json.code).toBe('VALIDATION_FAILED');
    expect(tooLong.json.message).toMatch(/functions\.max_timeout/);
    const badHost = await call('POST', '/api/v1/functions', { name: 'x4', code: HELLO, allow_net_hosts: ['http://x.com/'] });
    expect(badHost.json.code).toBe('VALIDATION_FAILED');
    const badAnnotation = await call('POST', '/api/v1/functions', { name: 'x5', code: '// @fluxbase:timeout_seconds soon\nexport default () => 1;\n' });
    expect(badAnnotation.status).toBe(400);
    expect(badAnnotation.json.message).toMatch(/timeout_seconds/);
    const missing = await call('POST', '/api/v1/functions', { name: 'x6' });
    expect(missing.json.code).toBe('MISSING_REQUIRED_FIELD');
    const notJson = await call('POST', '/api/v1/functions', '{"name": ');
    expect(notJson.json.code).toBe('INVALID_JSON');
  });

  it('refuses huge code with 413 in the envelope', async () => {
    const res = await call('POST', '/api/v1/functions', { name: 'huge', code: `export default () => "${'x'.repeat(6 * 1024 * 1024)}";` });
    expect(res.status).toBe(413);
    expect(res.json.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('access', () => {
  it('lets only admins manage functions', async () => {
    const anon = { apikey: app.keys.anon };
    const user = { authorization: `Bearer ${app.userToken('00000000-0000-4000-8000-000000000001')}` };
    expect((await call('GET', '/api/v1/functions', undefined, {})).status).toBe(401);
    expect((await call('GET', '/api/v1/functions', undefined, anon)).status).toBe(401);
    const asUser = await call('POST', '/api/v1/functions', { name: 'mine', code: HELLO }, user);
    expect(asUser.status).toBe(403);
    expect(asUser.json.code).toBe('ADMIN_REQUIRED');
    expect((await call('DELETE', '/api/v1/functions/hello', undefined, user)).status).toBe(403);
    expect((await call('GET', '/api/v1/secrets', undefined, user)).status).toBe(403);
  });
});

describe('sync', () => {
  it('creates, updates, leaves alone and deletes, and a dry run changes nothing', async () => {
    const first = await call('POST', '/api/v1/admin/functions/sync', {
      namespace: 'sync', functions: [{ name: 'a', code: HELLO }, { name: 'b', code: HELLO }],
    });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ namespace: 'sync', dry_run: false, summary: { created: 2, updated: 0, deleted: 0, unchanged: 0, errors: 0 } });
    const dry = await call('POST', '/api/v1/admin/functions/sync', {
      namespace: 'sync', functions: [{ name: 'a', code: HELLO }, { name: 'c', code: HELLO }], options: { delete_missing: true, dry_run: true },
    });
    expect(dry.json.summary).toEqual({ created: 1, updated: 0, deleted: 1, unchanged: 1, errors: 0 });
    expect((await call('GET', '/api/v1/functions?namespace=sync')).json.map((f: { name: string }) => f.name)).toEqual(['a', 'b']);
    const real = await call('POST', '/api/v1/admin/functions/sync', {
      namespace: 'sync', functions: [{ name: 'a', code: HELLO, timeout_seconds: 3 }, { name: 'c', code: HELLO }, { name: 'd', code: 'export default ( => 1' }],
      options: { delete_missing: true },
    });
    expect(real.json.summary).toEqual({ created: 1, updated: 1, deleted: 1, unchanged: 0, errors: 1 });
    expect(real.json.errors).toEqual([expect.objectContaining({ function: 'd', action: 'create' })]);
    expect((await call('GET', '/api/v1/functions?namespace=sync')).json.map((f: { name: string }) => f.name)).toEqual(['a', 'c']);
  });
});

describe('secrets', () => {
  it('stores values sealed and never answers them', async () => {
    const created = await call('POST', '/api/v1/secrets', { name: 'STRIPE_KEY', value: 'sk_live_123', description: 'payments' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'STRIPE_KEY', scope: 'global', description: 'payments' });
    expect(JSON.stringify(created.json)).not.toContain('sk_live_123');
    const [row] = await db.sql`select value_enc from functions.secrets where name = 'STRIPE_KEY'`;
    expect(row!.value_enc).not.toContain('sk_live_123');
    const list = await call('GET', '/api/v1/secrets');
    expect(JSON.stringify(list.json)).not.toContain('sk_live_123');
    expect((await call('GET', '/api/v1/secrets/by-name/STRIPE_KEY')).json.name).toBe('STRIPE_KEY');
    expect((await call('POST', '/api/v1/secrets', { name: 'STRIPE_KEY', value: 'again' })).status).toBe(409);
    const ns = await call('POST', '/api/v1/secrets', { name: 'STRIPE_KEY', value: 'sk_test', namespace: 'billing' });
    expect(ns.json).toMatchObject({ scope: 'namespace', namespace: 'billing' });
    expect((await call('PUT', '/api/v1/secrets/by-name/STRIPE_KEY?namespace=billing', { description: 'test key' })).json.description).toBe('test key');
    expect((await call('DELETE', '/api/v1/secrets/by-name/STRIPE_KEY?namespace=billing')).status).toBe(204);
    expect((await call('DELETE', '/api/v1/secrets/by-name/STRIPE_KEY?namespace=billing')).status).toBe(404);
  });

  it('refuses bad secret input', async () => {
    expect((await call('POST', '/api/v1/secrets', { name: 'has-dash', value: 'x' })).json.code).toBe('VALIDATION_FAILED');
    expect((await call('POST', '/api/v1/secrets', { name: 'EMPTY', value: '' })).json.code).toBe('VALIDATION_FAILED');
    expect((await call('POST', '/api/v1/secrets', { name: 'X', value: 'x', scope: 'namespace' })).json.message).toMatch(/namespace/);
    expect((await call('POST', '/api/v1/secrets', { name: 'X', value: 'x', expires_at: 'tomorrow' })).json.message).toMatch(/expires_at/);
  });
});

describe('with functions.enabled false', () => {
  it('serves no function routes and says how to turn them on', async () => {
    const off = await startTestApp(db.url, { overrides: { functions: { enabled: false } } });
    try {
      const res = await off.fetch('/functions/v1/hello', { method: 'POST', headers: { apikey: off.keys.anon } });
      expect(res.status).toBe(404);
      const body = await res.json() as { code: string; message: string; hint: string };
      expect(body.code).toBe('NOT_FOUND');
      expect(body.message).toMatch(/functions\.enabled/);
      expect(body.hint).toMatch(/FLUXBASE_FUNCTIONS_ENABLED/);
      expect((await off.fetch('/api/v1/functions', { headers: { authorization: `Bearer ${off.keys.service_role}` } })).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
