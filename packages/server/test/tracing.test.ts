// Tracing (hardening item 5.2; docs/tracing.md) against a real OTLP/HTTP receiver started
// here: what arrives is decoded from the exporter's JSON and checked as traces. Tracing off
// loads no OpenTelemetry and exports nothing; on, an incoming `traceparent` is continued,
// one trace links HTTP → function invocation → the function's call back into the REST API →
// its database span, and an HTTP job submit → the job's execution (with progress events);
// sampling 0 exports nothing. Real server, real Deno, real PostgreSQL.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { noopTracing, openTelemetryLoaded } from '../src/observability/index.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';
import { RtClient } from './harness/realtime.ts';

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
}

interface OtlpValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number }
interface OtlpKeyValue { key: string; value: OtlpValue }
interface OtlpBody {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: OtlpKeyValue[]; events?: { name: string; attributes?: OtlpKeyValue[] }[] }[] }[];
  }[];
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    out[key] = value.stringValue ?? value.boolValue ?? value.doubleValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined);
  }
  return out;
}

/** An OTLP/HTTP traces receiver on loopback: POST /v1/traces with the JSON encoding. */
async function startReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; posts: { path: string; contentType: string }[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const posts: { path: string; contentType: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '' });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpBody;
      for (const rs of body.resourceSpans ?? []) {
        const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '');
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              service, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', name: s.name, kind: s.kind,
              attributes: attributesOf(s.attributes), events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attributesOf(e.attributes) })),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, posts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const USER_ID = '00000000-0000-4000-8000-0000000000aa';

let db: TestDatabase;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  db = await createTestDatabase();
  receiver = await startReceiver();
  await db.sql.unsafe(`
    create table public.notes (id int primary key, owner uuid not null, body text not null);
    alter table public.notes enable row level security;
    create policy own on public.notes for select to authenticated using (owner = auth.uid());
    grant select on public.notes to anon, authenticated, service_role;
    insert into public.notes values (1, '${USER_ID}', 'mine'), (2, '00000000-0000-4000-8000-0000000000bb', 'theirs');
  `);
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  await db?.drop();
});

// First in the file: nothing has loaded OpenTelemetry in this worker yet.
describe('tracing off (the default)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(db.url, { overrides: { tracing: { otlp_endpoint: 'http://127.0.0.1:1' } } });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  it('is the no-op tracing, loads no OpenTelemetry module and exports nothing', async () => {
    expect(app.server.tracing).toBe(noopTracing);
    const res = await app.fetch('/rest/v1/notes', { headers: { apikey: app.keys.anon, traceparent: `00-${hex(16)}-${hex(8)}-01` } });
    expect(res.status).toBe(200);
    await app.server.tracing.flush();
    expect(openTelemetryLoaded()).toBe(false);
    expect(receiver.posts).toEqual([]);
  });
});

describe('tracing on', () => {
  let app: TestApp;
  const service = () => ({ authorization: `Bearer ${app.keys.service_role}`, 'content-type': 'application/json' });

  /** Flushes the server's spans until `pick` finds what it wants among those received. */
  async function received<T>(pick: (spans: ReceivedSpan[]) => T | undefined, timeout = 30_000): Promise<T> {
    let found: T | undefined;
    await vi.waitFor(async () => {
      await app.server.tracing.flush();
      found = pick(receiver.spans.filter((s) => s.service === 'fluxbase-test'));
      expect(found).toBeDefined();
    }, { timeout, interval: 100 });
    return found!;
  }

  beforeAll(async () => {
    app = await startTestApp(db.url, {
      overrides: {
        tracing: { enabled: true, otlp_endpoint: receiver.url, service_name: 'fluxbase-test' },
        jobs: { poll_interval: '200ms' },
      },
    });
    await app.fetch('/api/v1/admin/schema/refresh', { method: 'POST', headers: service() });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  it('continues an incoming traceparent: the server span is its child, the statement span the server span\'s', async () => {
    expect(openTelemetryLoaded()).toBe(true);
    const traceId = hex(16);
    const parent = hex(8);
    const res = await app.fetch('/rest/v1/notes?select=id', { headers: { apikey: app.keys.service_role, authorization: `Bearer ${app.keys.service_role}`, traceparent: `00-${traceId}-${parent}-01` } });
    expect(res.status).toBe(200);
    const server = await received((spans) => spans.find((s) => s.traceId === traceId && s.name === 'GET /rest/v1/:table'));
    expect(server.parentSpanId).toBe(parent);
    expect(server.kind).toBe(2); // SERVER
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET', 'http.route': '/rest/v1/:table', 'url.path': '/rest/v1/notes', 'http.response.status_code': 200,
    });
    expect(server.attributes['fluxbase.request_id']).toBe(res.headers.get('x-request-id'));
    const statement = await received((spans) => spans.find((s) => s.traceId === traceId && s.parentSpanId === server.spanId && s.name.startsWith('db ')));
    expect(statement.attributes).toMatchObject({ 'db.system': 'postgresql', 'db.operation.name': 'read' });
    // No parameter values, no SQL text with values: only the operation is named.
    expect(Object.keys(statement.attributes).sort()).toEqual(['db.operation.name', 'db.system', 'db.system.name']);
  });

  it('links HTTP → function invocation → the function\'s call back into the REST API → its statement, in one trace', async () => {
    const deploy = await app.fetch('/api/v1/functions', {
      method: 'POST', headers: service(),
      body: JSON.stringify({
        name: 'traced',
        code: `export default async (_req: Request, ctx: any) => {
          const { data, error } = await ctx.fluxbase.from("notes").select("id");
          return Response.json({ traceparent: Deno.env.get("TRACEPARENT"), header: _req.headers.get("traceparent"), rows: data?.length ?? null, error });
        };`,
      }),
    });
    expect(deploy.status).toBe(201);
    const traceId = hex(16);
    const parent = hex(8);
    const res = await app.fetch('/api/v1/functions/traced/invoke?x=1', {
      method: 'POST', headers: { authorization: `Bearer ${app.userToken(USER_ID)}`, traceparent: `00-${traceId}-${parent}-01` },
    });
    const body = await res.json() as { traceparent: string; header: string; rows: number };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.rows).toBe(1); // the caller's token: RLS applied

    const server = await received((spans) => spans.find((s) => s.traceId === traceId && s.parentSpanId === parent));
    expect(server.name).toBe('POST /api/v1/functions/:name/invoke');
    const fn = await received((spans) => spans.find((s) => s.traceId === traceId && s.name === 'function default/traced'));
    expect(fn.parentSpanId).toBe(server.spanId);
    expect(fn.attributes).toMatchObject({
      'function.name': 'traced', 'function.namespace': 'default', 'function.user_id': USER_ID, 'function.method': 'POST',
      'function.url': '/api/v1/functions/traced/invoke', 'function.status_code': 200, 'function.execution_id': res.headers.get('x-fluxbase-execution-id') ?? expect.any(String),
    });
    expect(fn.attributes['function.duration_ms']).toEqual(expect.any(Number));
    // The code sees the invocation span as its parent, in the environment and on the request.
    expect(body.traceparent).toBe(`00-${traceId}-${fn.spanId}-01`);
    expect(body.header).toBe(body.traceparent);
    // The SDK call the function made is a server span under the invocation, and its statement under that.
    const callback = await received((spans) => spans.find((s) => s.traceId === traceId && s.parentSpanId === fn.spanId && s.kind === 2));
    expect(callback.attributes['http.request.method']).toBe('GET');
    const statement = await received((spans) => spans.find((s) => s.traceId === traceId && s.parentSpanId === callback.spanId && s.name === 'db read'));
    expect(statement.attributes['db.system']).toBe('postgresql');
  }, 60_000);

  it('puts a submitted job\'s execution in the submitter\'s trace, with its attributes and progress as events', async () => {
    const deploy = await app.fetch('/api/v1/admin/jobs/functions', {
      method: 'POST', headers: service(),
      body: JSON.stringify({
        name: 'traced-job',
        code: `export default async (_req: Request, ctx: any) => {
          ctx.reportProgress(40, "reading");
          await new Promise((r) => setTimeout(r, 250));
          ctx.reportProgress(90, "writing");
          return { traceparent: Deno.env.get("TRACEPARENT") };
        };`,
      }),
    });
    expect([200, 201]).toContain(deploy.status);
    const traceId = hex(16);
    const parent = hex(8);
    const submitted = await app.fetch('/api/v1/jobs/submit', {
      method: 'POST', headers: { ...service(), traceparent: `00-${traceId}-${parent}-01` }, body: JSON.stringify({ job_name: 'traced-job', priority: 3 }),
    });
    const job = await submitted.json() as { id: string; traceparent?: unknown };
    expect(submitted.status, JSON.stringify(job)).toBe(201);
    expect(job).not.toHaveProperty('traceparent'); // internal: not in the Job JSON

    const submit = await received((spans) => spans.find((s) => s.traceId === traceId && s.parentSpanId === parent));
    expect(submit.name).toBe('POST /api/v1/jobs/submit');
    const run = await received((spans) => spans.find((s) => s.traceId === traceId && s.name === 'job default/traced-job'));
    expect(run.parentSpanId).toBe(submit.spanId);
    expect(run.kind).toBe(5); // CONSUMER
    expect(run.attributes).toMatchObject({
      'job.id': job.id, 'job.name': 'traced-job', 'job.namespace': 'default', 'job.priority': 3, 'job.status': 'completed',
      'job.worker_id': app.server.app.jobs.workers[0]!.id,
    });
    expect(run.attributes['job.scheduled_at']).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    expect(run.attributes['job.worker_name']).toEqual(expect.stringContaining(`:${process.pid}`));
    expect(run.attributes['job.duration_ms']).toEqual(expect.any(Number));
    expect(run.events.filter((e) => e.name === 'progress').map((e) => e.attributes)).toEqual([
      { 'job.progress.percent': 40, 'job.progress.message': 'reading' },
      { 'job.progress.percent': 90, 'job.progress.message': 'writing' },
    ]);
    // The job's code continues the execution span.
    const done = await app.fetch(`/api/v1/jobs/${job.id}`, { headers: service() });
    const row = await done.json() as { result: { traceparent: string } };
    expect(row.result.traceparent).toBe(`00-${traceId}-${run.spanId}-01`);
  }, 60_000);

  it('has a span per auth step: sign-up, sign-in (password check, session), refresh', async () => {
    const traceId = hex(16);
    const tp = () => `00-${traceId}-${hex(8)}-01`;
    const json = { 'content-type': 'application/json', apikey: app.keys.anon };
    const credentials = JSON.stringify({ email: 'traced@example.com', password: 'a-long-enough-passphrase-9' });
    const signup = await app.fetch('/api/v1/auth/signup', { method: 'POST', headers: { ...json, traceparent: tp() }, body: credentials });
    expect(signup.status, await signup.clone().text()).toBe(201);
    const signin = await app.fetch('/api/v1/auth/signin', { method: 'POST', headers: { ...json, traceparent: tp() }, body: credentials });
    const session = await signin.json() as { refresh_token: string };
    expect(signin.status).toBe(200);
    const refresh = await app.fetch('/api/v1/auth/refresh', { method: 'POST', headers: { ...json, traceparent: tp() }, body: JSON.stringify({ refresh_token: session.refresh_token }) });
    expect(refresh.status).toBe(200);
    const names = ['auth.user.create', 'auth.password.hash', 'auth.password.verify', 'auth.sign_in', 'auth.session.issue', 'auth.token.refresh'];
    const steps = await received((spans) => {
      const mine = spans.filter((s) => s.traceId === traceId);
      return names.every((n) => mine.some((s) => s.name === n)) ? mine : undefined;
    });
    const byId = new Map(steps.map((s) => [s.spanId, s]));
    const signinSpan = steps.find((s) => s.name === 'POST /api/v1/auth/signin')!;
    const signInStep = steps.find((s) => s.name === 'auth.sign_in' && s.attributes['auth.method'] === 'password')!;
    expect(signInStep.parentSpanId).toBe(signinSpan.spanId);
    const issue = steps.find((s) => s.name === 'auth.session.issue' && s.parentSpanId === signInStep.spanId);
    expect(issue?.attributes['auth.method']).toBe('password');
    expect(byId.get(steps.find((s) => s.name === 'auth.password.verify')!.parentSpanId)?.name).toBe('POST /api/v1/auth/signin');
    expect(byId.get(steps.find((s) => s.name === 'auth.token.refresh')!.parentSpanId)?.name).toBe('POST /api/v1/auth/refresh');
    // No credential travels in an attribute.
    expect(JSON.stringify(steps)).not.toContain('a-long-enough-passphrase-9');
    expect(JSON.stringify(steps)).not.toContain(session.refresh_token);
  });

  it('makes no request span for a WebSocket upgrade (a connection, not a request)', async () => {
    const client = await RtClient.connect(app.url, `?apikey=${app.keys.anon}`, { traceparent: `00-${hex(16)}-${hex(8)}-01` });
    client.ws.close();
    await app.fetch('/health');
    await received((spans) => spans.find((s) => s.name === 'GET /health'));
    expect(receiver.spans.filter((s) => String(s.attributes['url.path']).startsWith('/realtime'))).toEqual([]);
  });

  it('sends OTLP/HTTP JSON to <otlp_endpoint>/v1/traces', () => {
    expect(receiver.posts.length).toBeGreaterThan(0);
    for (const p of receiver.posts) expect(p).toEqual({ path: '/v1/traces', contentType: 'application/json' });
  });
});

describe('sampling 0', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(db.url, { overrides: { tracing: { enabled: true, otlp_endpoint: receiver.url, service_name: 'fluxbase-unsampled', sample_rate: 0 } } });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  it('exports nothing for new traces, nor for what runs inside an unsampled request (no orphan function or auth spans)', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await app.fetch('/rest/v1/notes', { headers: { apikey: app.keys.anon } });
      expect(res.status).toBe(200);
    }
    const service = { authorization: `Bearer ${app.keys.service_role}`, 'content-type': 'application/json' };
    const deploy = await app.fetch('/api/v1/functions', { method: 'POST', headers: service, body: JSON.stringify({ name: 'unsampled', code: 'export default () => Response.json({ tp: Deno.env.get("TRACEPARENT") ?? null })' }) });
    expect(deploy.status).toBe(201);
    // A caller's unsampled trace (flag 00) is passed on as is, and nothing is recorded for it.
    const callerTp = `00-${hex(16)}-${hex(8)}-00`;
    const invoked = await app.fetch('/api/v1/functions/unsampled/invoke', { method: 'POST', headers: { ...service, traceparent: callerTp } });
    expect(invoked.status).toBe(200);
    expect(await invoked.json()).toEqual({ tp: callerTp });
    const credentials = JSON.stringify({ email: 'unsampled@example.com', password: 'a-long-enough-passphrase-9' });
    expect((await app.fetch('/api/v1/auth/signup', { method: 'POST', headers: { 'content-type': 'application/json', apikey: app.keys.anon }, body: credentials })).status).toBe(201);
    await app.server.tracing.flush();
    expect(receiver.spans.filter((s) => s.service === 'fluxbase-unsampled')).toEqual([]);
  });

  it('still traces a request whose caller sampled it (traceparent flag 01): parent-based', async () => {
    const traceId = hex(16);
    const res = await app.fetch('/rest/v1/notes', { headers: { apikey: app.keys.anon, traceparent: `00-${traceId}-${hex(8)}-01` } });
    expect(res.status).toBe(200);
    await vi.waitFor(async () => {
      await app.server.tracing.flush();
      const mine = receiver.spans.filter((s) => s.service === 'fluxbase-unsampled' && s.traceId === traceId);
      expect(mine.map((s) => s.name).sort()).toEqual(['GET /rest/v1/:table', 'db read']);
    }, { timeout: 30_000, interval: 100 });
  });
});
