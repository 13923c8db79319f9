// `client.functions` against the real server and Deno (API.md §11.1): deploy with the
// service_role key, invoke with JSON, text and binary bodies, the FUNCTION_* errors,
// credentials, the admin round trip, secrets and sync.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../../server/test/harness/index.ts';
import { createClient, type FluxbaseClient, type FunctionDeploy } from '../src/index.ts';

let db: TestDatabase;
let app: TestApp;
let admin: FluxbaseClient;
let anon: FluxbaseClient;

// Reports what the function saw, so each test can check the request end to end. The
// server type-checks function code strictly, hence the annotations.
const ECHO = `export default async (req: Request) => {
  const url = new URL(req.url);
  const bytes = new Uint8Array(await req.arrayBuffer());
  return new Response(JSON.stringify({ got: {
    method: req.method, path: url.pathname, search: url.search,
    content_type: req.headers.get('content-type'), custom: req.headers.get('x-custom'),
    text: new TextDecoder().decode(bytes), bytes: Array.from(bytes),
  } }), { headers: { 'content-type': 'application/json' } });
};`;

const FUNCTIONS: FunctionDeploy[] = [
  { name: 'echo', code: ECHO },
  { name: 'text', code: `export default (req: Request) => new Response('hello ' + new URL(req.url).searchParams.get('who'), { headers: { 'content-type': 'text/plain' } });` },
  { name: 'binary', code: `export default () => new Response(new Uint8Array([0, 1, 2, 255]), { headers: { 'content-type': 'application/octet-stream' } });` },
  { name: 'value', code: `export function handler() { return { answer: 42 }; }` },
  { name: 'thrower', code: `export default () => { console.log('about to fail'); throw new Error('boom'); };`, allow_unauthenticated: true },
  { name: 'slow', code: `export default () => new Promise<Response>((resolve) => setTimeout(() => resolve(new Response('late')), 10000));`, timeout_seconds: 1 },
  { name: 'off', code: ECHO, enabled: false },
  { name: 'public', code: `export default () => new Response('open');`, allow_unauthenticated: true },
  // Without the secret its name is not on the env allow-list either, so reading it throws.
  { name: 'secret-reader', code: `export default () => { try { return { value: Deno.env.get('FLUXBASE_SECRET_SDK_TEST_SECRET') ?? null }; } catch { return { value: null }; } };` },
];

beforeAll(async () => {
  db = await createTestDatabase();
  // An empty functions folder, so reload() has a known answer.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-sdk-functions-'));
  app = await startTestApp(db.url, { overrides: { functions: { dir } } });
  admin = createClient(app.url, app.keys.service_role);
  anon = createClient(app.url, app.keys.anon);
  for (const deploy of FUNCTIONS) {
    const { error } = await admin.functions.create(deploy);
    if (error) throw new Error(`deploying ${deploy.name}: ${error.status} ${error.code} ${error.message}`);
  }
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

interface Echo { got: { method: string; path: string; search: string; content_type: string | null; custom: string | null; text: string; bytes: number[] } }

describe('invoke: bodies in', () => {
  it.each<[string, unknown, string, string]>([
    ['an object as JSON', { name: 'Ada', n: [1, 2] }, 'application/json', '{"name":"Ada","n":[1,2]}'],
    ['an array as JSON', [1, 'two'], 'application/json', '[1,"two"]'],
    ['a string as text', 'héllo wörld', 'text/plain;charset=UTF-8', 'héllo wörld'],
  ])('sends %s', async (_case, body, contentType, text) => {
    const { data, error, status } = await admin.functions.invoke<Echo>('echo', { body });
    expect(error).toBeNull();
    expect(status).toBe(200);
    expect(data?.got).toMatchObject({ method: 'POST', content_type: contentType, text });
  });

  it('sends bytes as application/octet-stream, unchanged', async () => {
    const bytes = new Uint8Array([0, 1, 2, 128, 255]);
    const { data, error } = await admin.functions.invoke<Echo>('echo', { body: bytes });
    expect(error).toBeNull();
    expect(data?.got).toMatchObject({ content_type: 'application/octet-stream', bytes: [0, 1, 2, 128, 255] });
  });

  it('passes method, headers, subpath and query through to the handler', async () => {
    const { data, error } = await admin.functions.invoke<Echo>('echo', {
      method: 'PUT', body: { a: 1 }, headers: { 'X-Custom': 'yes' }, path: 'users/42', query: { q: 'x' },
    });
    expect(error).toBeNull();
    expect(data?.got).toMatchObject({ method: 'PUT', custom: 'yes', path: '/api/v1/functions/echo/invoke/users/42' });
    expect(data?.got.search).toContain('q=x');
    const get = await admin.functions.invoke<Echo>('echo', { method: 'GET' });
    expect(get.data?.got).toMatchObject({ method: 'GET', text: '' });
  });
});

describe('invoke: bodies out', () => {
  it('decodes text/* as a string', async () => {
    expect(await admin.functions.invoke('text', { query: { who: 'world' } })).toMatchObject({ data: 'hello world', error: null, status: 200 });
  });

  it('hands binary responses back as a Blob', async () => {
    const { data, error } = await admin.functions.invoke<Blob>('binary');
    expect(error).toBeNull();
    expect(data).toBeInstanceOf(Blob);
    expect([...new Uint8Array(await data!.arrayBuffer())]).toEqual([0, 1, 2, 255]);
  });

  it('sends a returned JSON value as 200 application/json', async () => {
    const res = await admin.functions.invoke('value');
    expect(res).toMatchObject({ data: { answer: 42 }, error: null, status: 200 });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('exposes the execution id, which the executions log lists', async () => {
    const res = await admin.functions.invoke('echo', { body: { x: 1 } });
    expect(res.executionId).toEqual(expect.any(String));
    // The log row may be written after the response: give it a moment.
    let ids: string[] = [];
    for (let i = 0; i < 20 && !ids.includes(res.executionId!); i++) {
      const { data, error } = await admin.functions.executions('echo', { limit: 50 });
      expect(error).toBeNull();
      ids = (data ?? []).map((e) => e.id);
      if (!ids.includes(res.executionId!)) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ids).toContain(res.executionId);
    const { data } = await admin.functions.executions('echo', { limit: 1 });
    expect(data).toHaveLength(1);
    expect(data?.[0]).toMatchObject({ trigger_type: 'http', status: 'success', status_code: 200 });
  });
});

describe('invoke: errors', () => {
  it('FUNCTION_NOT_FOUND 404 for a missing function', async () => {
    const res = await admin.functions.invoke('no-such-function');
    expect(res.status).toBe(404);
    expect(res.error).toMatchObject({ status: 404, code: 'FUNCTION_NOT_FOUND', requestId: res.headers.get('x-request-id') });
  });

  it('FUNCTION_DISABLED 403 for a disabled function', async () => {
    expect((await admin.functions.invoke('off')).error).toMatchObject({ status: 403, code: 'FUNCTION_DISABLED' });
  });

  it('FUNCTION_ERROR 500 with reason exception; logs for admins only', async () => {
    const asAdmin = await admin.functions.invoke('thrower');
    expect(asAdmin.status).toBe(500);
    expect(asAdmin.error).toMatchObject({ status: 500, code: 'FUNCTION_ERROR', details: { reason: 'exception' } });
    const adminDetails = asAdmin.error?.details as { logs?: unknown };
    expect(JSON.stringify(adminDetails.logs)).toContain('about to fail');

    const asAnon = await anon.functions.invoke('thrower');
    expect(asAnon.error).toMatchObject({ status: 500, code: 'FUNCTION_ERROR', details: { reason: 'exception' } });
    expect((asAnon.error?.details as { logs?: unknown }).logs).toBeUndefined();
  });

  it('FUNCTION_TIMEOUT 504 past timeout_seconds', async () => {
    const res = await admin.functions.invoke('slow');
    expect(res.error).toMatchObject({ status: 504, code: 'FUNCTION_TIMEOUT' });
  });

  it('wrong body for the method is refused before sending', async () => {
    await expect(admin.functions.invoke('echo', { method: 'GET', body: 'x' })).rejects.toThrow(TypeError);
  });
});

describe('invoke: credentials', () => {
  it('401 MISSING_AUTHENTICATION without any credential, unless allow_unauthenticated', async () => {
    const bare = await app.fetch('/api/v1/functions/echo/invoke', { method: 'POST' });
    expect(bare.status).toBe(401);
    expect(await bare.json()).toMatchObject({ code: 'MISSING_AUTHENTICATION' });

    const open = await app.fetch('/api/v1/functions/public/invoke', { method: 'POST' });
    expect(open.status).toBe(200);
    expect(await open.text()).toBe('open');
  });

  it('the anon key is a credential (API.md §2.1): it may invoke', async () => {
    expect(await anon.functions.invoke('echo', { body: { a: 1 } })).toMatchObject({ error: null, status: 200 });
  });

  it('management needs an admin principal', async () => {
    const { error } = await anon.functions.create({ name: 'sneaky', code: ECHO });
    expect([401, 403]).toContain(error?.status);
    expect((await anon.functions.list()).error?.status).toBeGreaterThanOrEqual(401);
    expect((await admin.functions.get('sneaky')).error?.status).toBe(404);
  });
});

describe('management', () => {
  it('list, get, update and delete round trip', async () => {
    const created = await admin.functions.create({ name: 'round-trip', code: ECHO, description: 'first', timeout_seconds: 5 });
    expect(created.error).toBeNull();
    expect(created.data).toMatchObject({ name: 'round-trip', namespace: 'default', enabled: true, version: 1, source: 'api', description: 'first', timeout_seconds: 5 });

    const listed = await admin.functions.list();
    expect(listed.error).toBeNull();
    expect(listed.data?.map((f) => f.name)).toEqual(expect.arrayContaining(['echo', 'round-trip']));
    for (const f of listed.data ?? []) expect(f).not.toHaveProperty('code');

    expect((await admin.functions.get('round-trip')).data).toMatchObject({ id: created.data?.id, description: 'first' });

    const updated = await admin.functions.update('round-trip', { description: 'second' });
    expect(updated.error).toBeNull();
    expect(updated.data).toMatchObject({ description: 'second', version: 2 });

    const again = await admin.functions.create({ name: 'round-trip', code: ECHO });
    expect(again.error).toMatchObject({ status: 409, code: 'ALREADY_EXISTS' });

    expect(await admin.functions.delete('round-trip')).toEqual({ data: null, error: null });
    expect((await admin.functions.get('round-trip')).error?.status).toBe(404);
    expect((await admin.functions.invoke('round-trip')).error).toMatchObject({ code: 'FUNCTION_NOT_FOUND' });
  });

  it('namespaces keep same-named functions apart', async () => {
    const deployed = await admin.functions.create({ name: 'echo', namespace: 'sdk-ns', code: `export default () => ({ from: 'sdk-ns' });` });
    expect(deployed.error).toBeNull();
    expect((await admin.functions.invoke('echo', { namespace: 'sdk-ns' })).data).toEqual({ from: 'sdk-ns' });
    expect((await admin.functions.list({ namespace: 'sdk-ns' })).data?.map((f) => f.name)).toEqual(['echo']);
    expect((await admin.functions.get('echo', { namespace: 'sdk-ns' })).data?.namespace).toBe('sdk-ns');
    expect((await admin.functions.delete('echo', { namespace: 'sdk-ns' })).error).toBeNull();
    expect((await admin.functions.get('echo')).data?.namespace).toBe('default');
  });

  it('a code that does not bundle is 400 FUNCTION_BUNDLE_ERROR', async () => {
    const { error } = await admin.functions.create({ name: 'broken', code: 'export default (' });
    expect(error).toMatchObject({ status: 400, code: 'FUNCTION_BUNDLE_ERROR' });
  });

  it('sync with dry_run reports without changing anything', async () => {
    const { data, error } = await admin.functions.sync({
      namespace: 'sdk-sync', functions: [{ name: 'synced', code: ECHO }], options: { dry_run: true },
    });
    expect(error).toBeNull();
    expect(data).toMatchObject({ namespace: 'sdk-sync', dry_run: true, summary: { created: 1, updated: 0, deleted: 0, errors: 0 }, errors: [] });
    expect((await admin.functions.list({ namespace: 'sdk-sync' })).data).toEqual([]);
  });

  it('reload rescans the (empty) functions folder', async () => {
    const { data, error } = await admin.functions.reload();
    expect(error).toBeNull();
    expect(data).toMatchObject({ loaded: 0 });
  });
});

describe('secrets', () => {
  it('set, list and get never return the value; functions read it; update and delete', async () => {
    const set = await admin.functions.secrets.set({ name: 'SDK_TEST_SECRET', value: 's3cret-1', description: 'for the SDK test' });
    expect(set.error).toBeNull();
    expect(set.data).toMatchObject({ name: 'SDK_TEST_SECRET', scope: 'global', description: 'for the SDK test' });
    expect(set.data).not.toHaveProperty('value');

    const list = await admin.functions.secrets.list();
    expect(list.error).toBeNull();
    const listed = list.data?.find((s) => s.name === 'SDK_TEST_SECRET');
    expect(listed).toBeDefined();
    expect(listed).not.toHaveProperty('value');
    expect(JSON.stringify(list.data)).not.toContain('s3cret-1');

    const got = await admin.functions.secrets.get('SDK_TEST_SECRET');
    expect(got.data).toMatchObject({ name: 'SDK_TEST_SECRET' });
    expect(got.data).not.toHaveProperty('value');

    expect((await admin.functions.invoke('secret-reader')).data).toEqual({ value: 's3cret-1' });
    expect((await admin.functions.secrets.update('SDK_TEST_SECRET', { value: 's3cret-2' })).error).toBeNull();
    expect((await admin.functions.invoke('secret-reader')).data).toEqual({ value: 's3cret-2' });

    expect(await admin.functions.secrets.delete('SDK_TEST_SECRET')).toEqual({ data: null, error: null });
    expect((await admin.functions.secrets.get('SDK_TEST_SECRET')).error?.status).toBe(404);
    expect((await admin.functions.invoke('secret-reader')).data).toEqual({ value: null });
  });

  it('are admin-only', async () => {
    const { error } = await anon.functions.secrets.set({ name: 'NOPE', value: 'x' });
    expect([401, 403]).toContain(error?.status);
    expect([401, 403]).toContain((await anon.functions.secrets.list()).error?.status);
  });
});
