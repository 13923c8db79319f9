// Invoking functions (API.md §11.1 "Invocation"; docs/functions.md): both mounts, the
// request and environment a handler sees, secrets, calling back into the server with the
// execution token, errors mapped to the envelope (logs for admins only), the sandbox's
// refusals, access rules, per-function CORS and rate limits, the execution log and the
// metrics. Real server, real Deno.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetrics } from './harness/child-server.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;
let admin: Record<string, string>;
const USER_ID = '00000000-0000-4000-8000-0000000000aa';
let userHeaders: Record<string, string>;

async function deploy(name: string, code: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await app.fetch('/api/v1/functions', {
    method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ name, code, ...extra }),
  });
  if (res.status !== 201) throw new Error(`deploy ${name}: ${res.status} ${await res.text()}`);
}

async function invoke(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string; json: any }> /* eslint-disable-line @typescript-eslint/no-explicit-any -- response shapes vary per test */ {
  const res = await app.fetch(path, { method: 'POST', ...init, headers: { ...userHeaders, ...(init.headers as Record<string, string> | undefined) } });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const ECHO = `
export default async (req: Request, ctx: any) => {
  const body = req.method === 'GET' || req.method === 'HEAD' ? '' : await req.text();
  return Response.json({
    method: req.method, url: req.url, body, ct: req.headers.get('content-type'), custom: req.headers.get('x-custom'),
    user: ctx.user, execution: Deno.env.get('FLUXBASE_EXECUTION_ID'), name: Deno.env.get('FLUXBASE_FUNCTION_NAME'),
    namespace: Deno.env.get('FLUXBASE_FUNCTION_NAMESPACE'), userToken: Deno.env.get('FLUXBASE_USER_TOKEN'),
    hasService: (Deno.env.get('FLUXBASE_SERVICE_TOKEN') ?? '').split('.').length === 3, secret: Deno.env.get('FLUXBASE_SECRET_API_KEY') ?? null,
    ctxSecret: ctx.secrets?.API_KEY ?? null, passed: Deno.env.get('FLUXBASE_TEST_PASSTHROUGH') ?? null,
  }, { status: 201, headers: { 'x-from-function': 'yes' } });
};
`;

beforeAll(async () => {
  process.env.FLUXBASE_TEST_PASSTHROUGH = 'passed-through';
  process.env.FLUXBASE_TEST_HIDDEN = 'hidden';
  db = await createTestDatabase();
  app = await startTestApp(db.url, { overrides: { server: { body_limits: { bulk_limit: '256KB' } } } });
  admin = { authorization: `Bearer ${app.keys.service_role}` };
  userHeaders = { authorization: `Bearer ${app.userToken(USER_ID, { email: 'ada@example.com' })}` };
  await app.fetch('/api/v1/secrets', { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'API_KEY', value: 'global-value' }) });
  await deploy('echo', ECHO, { allow_env: ['FLUXBASE_TEST_PASSTHROUGH'] });
  await db.sql.unsafe(`
    create table public.notes (id int primary key, owner uuid not null, body text not null);
    alter table public.notes enable row level security;
    create policy own on public.notes for select to authenticated using (owner = auth.uid());
    grant select on public.notes to authenticated, service_role;
    insert into public.notes values (1, '${USER_ID}', 'mine'), (2, '00000000-0000-4000-8000-0000000000bb', 'theirs');
  `);
  await app.fetch('/api/v1/admin/schema/refresh', { method: 'POST', headers: admin });
}, 60_000);

afterAll(async () => {
  delete process.env.FLUXBASE_TEST_PASSTHROUGH;
  delete process.env.FLUXBASE_TEST_HIDDEN;
  await app?.close();
  await db?.drop();
});

describe('the request and environment a handler sees', () => {
  it('passes method, public URL with subpath and query, headers and body, and the context', async () => {
    const r = await invoke('/api/v1/functions/echo/invoke/sub/path?x=1', {
      method: 'PUT', headers: { 'content-type': 'application/json', 'x-custom': 'c1' }, body: JSON.stringify({ a: 1 }),
    });
    expect(r.status).toBe(201);
    expect(r.headers.get('x-from-function')).toBe('yes');
    expect(r.headers.get('x-fluxbase-execution-id')).toBe(r.json.execution);
    expect(r.json).toMatchObject({
      method: 'PUT', url: 'http://localhost:8080/api/v1/functions/echo/invoke/sub/path?x=1', body: '{"a":1}', ct: 'application/json', custom: 'c1',
      user: { id: USER_ID, email: 'ada@example.com', role: 'authenticated' }, name: 'echo', namespace: 'default', hasService: true,
      secret: 'global-value', ctxSecret: 'global-value', passed: 'passed-through',
    });
    expect(r.json.userToken).toBe(userHeaders.authorization!.slice('Bearer '.length));
  });

  it('serves the same function at /functions/v1/:name (Supabase path), with text and binary bodies', async () => {
    const text = await invoke('/functions/v1/echo', { headers: { 'content-type': 'text/plain' }, body: 'plain words' });
    expect(text.json).toMatchObject({ body: 'plain words', ct: 'text/plain', url: 'http://localhost:8080/functions/v1/echo' });
    await deploy('bytes', 'export default async (req: Request) => new Response(new Uint8Array(await req.arrayBuffer()).reverse(), { headers: { "content-type": "application/octet-stream" } });\n');
    const res = await app.fetch('/functions/v1/bytes', { method: 'POST', headers: { ...userHeaders, 'content-type': 'application/octet-stream' }, body: new Uint8Array([1, 2, 255, 0]) });
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([0, 255, 2, 1]);
  });

  it('hands a JSON value back as 200 application/json, for every handler form', async () => {
    const forms: [string, string][] = [
      ['form-default', 'export default () => ({ form: "default" });'],
      ['form-handler', 'export function handler() { return { form: "handler" }; }'],
      ['form-main', 'export async function main() { return { form: "main" }; }'],
      ['form-serve', 'Deno.serve(() => Response.json({ form: "serve" }));'],
    ];
    for (const [name, code] of forms) {
      await deploy(name, `${code}\n`);
      const r = await invoke(`/api/v1/functions/${name}/invoke`);
      expect(r.status, name).toBe(200);
      expect(r.json.form, name).toBe(name.slice('form-'.length));
    }
  });

  it('uses a namespace secret over the global one of the same name, and no other server variable', async () => {
    await app.fetch('/api/v1/secrets', { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'API_KEY', value: 'ns-value', namespace: 'team' }) });
    await deploy('env', 'export default () => ({ key: Deno.env.get("FLUXBASE_SECRET_API_KEY"), hidden: (() => { try { return Deno.env.get("FLUXBASE_TEST_HIDDEN") ?? null; } catch (e) { return (e as Error).name; } })() });\n', { namespace: 'team' });
    const r = await invoke('/api/v1/functions/env/invoke?namespace=team');
    expect(r.json).toEqual({ key: 'ns-value', hidden: 'NotCapable' });
  });

  it('lets a function call back into the server with its execution-scoped service token', async () => {
    await deploy('callback', `export default async () => {
      const res = await fetch(Deno.env.get("FLUXBASE_URL") + "/api/v1/functions/echo", { headers: { authorization: "Bearer " + Deno.env.get("FLUXBASE_SERVICE_TOKEN") } });
      return { status: res.status, name: (await res.json()).name };
    };\n`, { allow_net_hosts: ['example.com'] });
    const r = await invoke('/api/v1/functions/callback/invoke');
    expect(r.json).toEqual({ status: 200, name: 'echo' });
  });
});

describe('the context clients', () => {
  it('gives fluxbase (the caller, under RLS) and fluxbaseService (the service role)', async () => {
    await deploy('clients', `export default async (_req: Request, ctx: any) => {
      const mine = await ctx.fluxbase.from("notes").select("*");
      const all = await ctx.fluxbaseService.from("notes").select("*").order("id");
      return { mine: mine.data?.map((r: any) => r.body), all: all.data?.map((r: any) => r.body), error: mine.error?.message ?? all.error?.message ?? null,
        progress: typeof ctx.reportProgress, cancelled: ctx.isCancelled() };
    };\n`);
    const r = await invoke('/functions/v1/clients');
    expect(r.json).toEqual({ mine: ['mine'], all: ['mine', 'theirs'], error: null, progress: 'function', cancelled: false });
  });
});

describe('failures in the envelope', () => {
  it('maps a throw to 500 FUNCTION_ERROR (exception) with logs for admins only', async () => {
    await deploy('thrower', 'export default () => { console.log("about to fail"); throw new Error("boom"); };\n');
    const asUser = await invoke('/api/v1/functions/thrower/invoke');
    expect(asUser.status).toBe(500);
    expect(asUser.json).toMatchObject({ code: 'FUNCTION_ERROR', details: { reason: 'exception' } });
    expect(asUser.json.message).toMatch(/boom/);
    expect(asUser.json.details).not.toHaveProperty('logs');
    expect(asUser.json.request_id).toBeTruthy();
    expect(asUser.headers.get('x-fluxbase-execution-id')).toBe(asUser.json.details.execution_id);
    const asAdmin = await invoke('/api/v1/functions/thrower/invoke', { headers: admin });
    expect(asAdmin.json.details.logs).toContain('about to fail');
  });

  it('maps a timeout to 504 FUNCTION_TIMEOUT, and the server stays healthy', async () => {
    await deploy('sleeper', 'export default () => new Promise(() => {});\n', { timeout_seconds: 1 });
    const r = await invoke('/api/v1/functions/sleeper/invoke');
    expect(r.status, r.text).toBe(504);
    expect(r.json).toMatchObject({ code: 'FUNCTION_TIMEOUT', details: { reason: 'timeout' } });
    expect((await invoke('/api/v1/functions/echo/invoke')).status).toBe(201);
  });

  it.each([
    ['oom', 'out_of_memory', 'export default () => { const a: string[] = []; for (;;) a.push("x".repeat(1024) + Math.random()); };', { memory_limit_mb: 32 }],
    ['exits', 'exit', 'export default () => { Deno.exit(3); };', {}],
    ['invalid', 'invalid_response', 'export default () => 10n;', {}],
    ['reads', 'exception', 'export default () => Deno.readTextFileSync("/etc/passwd");', {}],
    ['spawns', 'exception', 'export default async () => (await new Deno.Command("sh", { args: ["-c", "id"] }).output()).code;', {}],
    ['forbidden-host', 'exception', 'export default async () => (await fetch("http://127.0.0.2:9/")).status;', { allow_net_hosts: ['example.com'] }],
    ['too-big', 'invalid_response', 'export default () => new Response(new Uint8Array(11 * 1024 * 1024));', {}],
    ['no-net', 'exception', 'export default async () => (await fetch("http://127.0.0.1:9/")).status;', { allow_net: false }],
  ])('%s: 500 FUNCTION_ERROR with reason %s', async (name, reason, code, extra) => {
    await deploy(name, `${code}\n`, extra as Record<string, unknown>);
    const r = await invoke(`/api/v1/functions/${name}/invoke`);
    expect(r.status, r.text).toBe(500);
    expect(r.json).toMatchObject({ code: 'FUNCTION_ERROR', details: { reason } });
  });

  it('says which function is missing or disabled', async () => {
    const missing = await invoke('/api/v1/functions/nope/invoke');
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('FUNCTION_NOT_FOUND');
    await deploy('off', 'export default () => 1;\n', { enabled: false });
    const off = await invoke('/functions/v1/off');
    expect(off.status).toBe(403);
    expect(off.json.code).toBe('FUNCTION_DISABLED');
    const badName = await invoke('/api/v1/functions/Bad%20Name/invoke');
    expect(badName.status).toBe(400);
  });

  it('refuses a body over server.body_limits.bulk_limit with 413', async () => {
    const r = await invoke('/api/v1/functions/echo/invoke', { headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(300 * 1024) });
    expect(r.status).toBe(413);
    expect(r.json.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('access, CORS and rate limits', () => {
  it('needs a credential unless the function allows unauthenticated calls', async () => {
    const none = await app.fetch('/api/v1/functions/echo/invoke', { method: 'POST' });
    expect(none.status).toBe(401);
    expect((await none.json() as { code: string }).code).toBe('MISSING_AUTHENTICATION');
    expect((await app.fetch('/api/v1/functions/echo/invoke', { method: 'POST', headers: { apikey: app.keys.anon } })).status).toBe(201);
    await deploy('public', 'export default () => "open";\n', { allow_unauthenticated: true });
    const open = await app.fetch('/functions/v1/public', { method: 'GET' });
    expect(open.status).toBe(200);
    expect(await open.json()).toBe('open');
  });

  it('answers preflights with the function\'s own CORS settings, or the server\'s', async () => {
    await deploy('cors', 'export default () => "c";\n', { cors_origins: ['https://app.example'], cors_methods: ['POST'], cors_headers: ['x-one'], cors_max_age: 60, cors_credentials: true });
    const pre = await app.fetch('/functions/v1/cors', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(pre.headers.get('access-control-allow-methods')).toBe('POST');
    expect(pre.headers.get('access-control-allow-headers')).toBe('x-one');
    expect(pre.headers.get('access-control-max-age')).toBe('60');
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await app.fetch('/functions/v1/cors', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const actual = await app.fetch('/functions/v1/cors', { method: 'POST', headers: { ...userHeaders, origin: 'https://evil.example' } });
    expect(actual.headers.get('access-control-allow-origin')).toBeNull();
    const server = await app.fetch('/functions/v1/echo', { method: 'OPTIONS', headers: { origin: 'https://any.example', 'access-control-request-method': 'POST' } });
    expect(server.status).toBe(204);
    expect(server.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('limits calls per caller with rate_limit_per_minute', async () => {
    await deploy('limited', 'export default () => "ok";\n', { rate_limit_per_minute: 2 });
    expect((await invoke('/functions/v1/limited')).status).toBe(200);
    expect((await invoke('/functions/v1/limited')).status).toBe(200);
    const third = await invoke('/functions/v1/limited');
    expect(third.status).toBe(429);
    expect(third.json.code).toBe('RATE_LIMITED');
    // Another caller has its own budget.
    expect((await invoke('/functions/v1/limited', { headers: admin })).status).toBe(200);
  });
});

describe('execution log and metrics', () => {
  it('records each invocation with its outcome', async () => {
    await deploy('logged', 'export default (req: Request) => { console.log("line for " + req.method); if (req.method === "DELETE") throw new Error("no"); return "fine"; };\n');
    await invoke('/functions/v1/logged');
    await invoke('/functions/v1/logged', { method: 'DELETE' });
    const res = await app.fetch('/api/v1/functions/logged/executions?limit=10', { headers: admin });
    const rows = await res.json() as { status: string; status_code: number; trigger_type: string; logs: string; duration_ms: number }[];
    // Rows are written after the response: wait for both.
    for (let i = 0; rows.length < 2 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows.splice(0, rows.length, ...await (await app.fetch('/api/v1/functions/logged/executions?limit=10', { headers: admin })).json() as typeof rows);
    }
    expect(rows.map((r) => [r.status, r.status_code, r.trigger_type]).sort()).toEqual([['error', 500, 'http'], ['success', 200, 'http']]);
    expect(rows.find((r) => r.status === 'success')!.logs).toContain('line for POST');
    const bad = await app.fetch('/api/v1/functions/logged/executions?limit=0', { headers: admin });
    expect(bad.status).toBe(400);
  });

  it('counts invocations (API.md §14 names and labels), errors by reason, and warm starts', async () => {
    for (let i = 0; i < 3; i++) await invoke('/functions/v1/echo');
    const text = await (await app.fetch('/metrics')).text();
    const metrics = parseMetrics(text);
    expect(text).toContain('# TYPE fluxbase_function_invocations_total counter');
    expect(text).toContain('# TYPE fluxbase_function_duration_seconds histogram');
    expect(metrics.value('fluxbase_function_invocations_total', { namespace: 'default', name: 'echo', status: 'success' })).toBeGreaterThanOrEqual(3);
    expect(metrics.value('fluxbase_function_duration_seconds_count', { namespace: 'default', name: 'echo' })).toBeGreaterThanOrEqual(3);
    expect(text).not.toMatch(/^fluxbase_functions?_(invocations_total|duration_seconds_count)\{[^}]*function=/m);
    expect(metrics.value('fluxbase_functions_errors_total', { namespace: 'default', name: 'thrower', reason: 'exception' })).toBeGreaterThanOrEqual(1);
    expect(metrics.value('fluxbase_functions_starts_total', { kind: 'warm' })).toBeGreaterThanOrEqual(2);
    expect(metrics.value('fluxbase_functions_warm_workers')).toBeGreaterThanOrEqual(1);
  });
});
