// System routes and the response pipeline every route shares: /health, /ready, /metrics,
// request ids, security headers, CORS, 404/405 in the envelope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, STRONG_PASSWORD, uniqueEmail } from './harness/auth.ts';
import { parseMetrics } from './harness/child-server.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

/**
 * The metrics of the wire contract, API.md §14 (names, types, labels), copied here on purpose:
 * the test must not read files outside the repository. Extras (fluxbase_functions_*, caches, ...)
 * are not listed; changing a line here is changing the contract.
 */
const CONTRACT: Record<string, { type: 'counter' | 'gauge' | 'histogram'; labels: string[] }> = {
  fluxbase_http_requests_total: { type: 'counter', labels: ['method', 'route', 'status'] },
  fluxbase_http_request_duration_seconds: { type: 'histogram', labels: ['method', 'route', 'status'] },
  fluxbase_http_requests_in_flight: { type: 'gauge', labels: [] },
  fluxbase_db_pool_connections: { type: 'gauge', labels: ['state'] },
  fluxbase_db_query_duration_seconds: { type: 'histogram', labels: ['operation'] },
  fluxbase_rate_limit_hits_total: { type: 'counter', labels: ['limiter'] },
  fluxbase_ratelimit_backend_errors_total: { type: 'counter', labels: [] },
  fluxbase_auth_attempts_total: { type: 'counter', labels: ['method', 'result'] },
  fluxbase_realtime_connections: { type: 'gauge', labels: [] },
  fluxbase_realtime_subscriptions: { type: 'gauge', labels: [] },
  fluxbase_realtime_messages_total: { type: 'counter', labels: ['type'] },
  fluxbase_realtime_queue_depth: { type: 'gauge', labels: [] },
  fluxbase_realtime_dropped_messages_total: { type: 'counter', labels: [] },
  fluxbase_realtime_slow_clients_disconnected_total: { type: 'counter', labels: [] },
  fluxbase_realtime_connection_rejections_total: { type: 'counter', labels: ['reason'] },
  fluxbase_realtime_rls_cache_hits_total: { type: 'counter', labels: [] },
  fluxbase_realtime_rls_cache_misses_total: { type: 'counter', labels: [] },
  fluxbase_realtime_delivery_latency_seconds: { type: 'histogram', labels: [] },
  fluxbase_realtime_listener_reconnects_total: { type: 'counter', labels: [] },
  fluxbase_function_invocations_total: { type: 'counter', labels: ['namespace', 'name', 'status'] },
  fluxbase_function_duration_seconds: { type: 'histogram', labels: ['namespace', 'name'] },
  fluxbase_webhook_deliveries_total: { type: 'counter', labels: ['status'] },
  fluxbase_storage_bytes_total: { type: 'counter', labels: ['operation'] },
  fluxbase_jobs_queue_depth: { type: 'gauge', labels: ['namespace', 'priority'] },
  fluxbase_jobs_processing: { type: 'gauge', labels: [] },
  fluxbase_jobs_completed_total: { type: 'counter', labels: ['namespace', 'name'] },
  fluxbase_jobs_failed_total: { type: 'counter', labels: ['namespace', 'name', 'reason'] },
  fluxbase_job_execution_duration_seconds: { type: 'histogram', labels: ['namespace', 'name'] },
  fluxbase_job_workers_active: { type: 'gauge', labels: [] },
  fluxbase_job_worker_utilization: { type: 'gauge', labels: [] },
};

/**
 * Labels the server adds beyond the contract, each a deliberate extension (docs, alerts and the
 * dashboard break it down by them); the contract's own labels must still all be there. Keep this
 * empty but for entries API.md should list too.
 */
const EXTRA_LABELS: Record<string, string[]> = {
  // Why a message was dropped (client_queue_full, notification_queue_full, rls_unavailable): docs/realtime.md "Metrics".
  fluxbase_realtime_dropped_messages_total: ['reason'],
};

/** Label names of every sample of `name` in a scrape (histograms: their _bucket/_sum/_count, without `le`). */
function sampledLabelNames(text: string, name: string, type: string): string[][] {
  const suffixes = type === 'histogram' ? ['_bucket', '_sum', '_count'] : [''];
  const found: string[][] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s/.exec(line);
    if (!m || !suffixes.some((s) => m[1] === name + s)) continue;
    found.push([...(m[2] ?? '').matchAll(/(\w+)="/g)].map(([, k]) => k!).filter((k) => k !== 'le').sort());
  }
  return found;
}

let db: TestDatabase;
let app: TestApp;
let cors: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp(db.url, { overrides: { metrics: { bearer_token: '' } } });
  cors = await startTestApp(db.url, { overrides: { cors: { allowed_origins: 'https://app.example.com,https://admin.example.com', max_age: 600 } } });
});
afterAll(async () => {
  await app?.close();
  await cors?.close();
  await db?.drop();
});

describe('health and readiness', () => {
  it('GET /health reports ok with the database up', async () => {
    const res = await app.fetch('/health');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; services: Record<string, boolean>; timestamp: string };
    expect(body.status).toBe('ok');
    expect(body.services.database).toBe(true);
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
  });

  it('GET /ready checks the database and migrations', async () => {
    const res = await app.fetch('/ready');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { database: true, migrations: true } });
  });

  it('GET /ready is 503 with Retry-After when a migration is missing', async () => {
    const other = await createTestDatabase();
    const other2 = await startTestApp(other.url);
    try {
      await other.sql`delete from fluxbase.schema_migrations where version = 1`;
      const res = await other2.fetch('/ready');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      const body = (await res.json()) as { code: string; details: { checks: Record<string, boolean> } };
      expect(body.code).toBe('SERVICE_UNAVAILABLE');
      expect(body.details.checks).toEqual({ database: true, migrations: false });
    } finally {
      await other2.close();
      await other.drop();
    }
  });
});

describe('metrics', () => {
  it('exposes HTTP metrics by route pattern, pool gauges and process metrics', async () => {
    await app.fetch('/health');
    await app.fetch('/no/such/route/123');
    const res = await app.fetch('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/fluxbase_http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    expect(text).toMatch(/fluxbase_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/health",status="200"\}/);
    expect(text).toMatch(/fluxbase_http_requests_total\{method="GET",route="unmatched",status="404"\}/);
    expect(text).not.toContain('/no/such/route');
    expect(text).toMatch(/fluxbase_db_pool_connections\{state="in_use"\} \d+/);
    expect(text).toMatch(/fluxbase_db_pool_connections\{state="waiting"\} \d+/);
    expect(text).toContain('fluxbase_http_requests_in_flight');
  });

  it('exposes every metric of the API.md §14 contract with its type and label names, and counts sign-ins', async () => {
    // A table to read (a request transaction: fluxbase_db_query_duration_seconds{operation}), and a
    // small login limit on a server of its own, so one sign-in reaches the rate limiter too.
    await db.sql`create table if not exists public.metrics_probe (id int primary key)`;
    const own = await startTestApp(db.url, { overrides: { metrics: { bearer_token: '' }, rate_limit: { login: '3/1m' }, server: { trusted_proxies: ['127.0.0.1'] } } });
    try {
      const ip = { 'X-Forwarded-For': '198.51.100.7' };
      const email = uniqueEmail('metrics');
      expect((await call(own, 'POST', '/api/v1/auth/signup', { email, password: STRONG_PASSWORD })).status).toBe(201);
      expect((await call(own, 'POST', '/api/v1/auth/signin', { email, password: STRONG_PASSWORD }, undefined, ip)).status).toBe(200);
      expect((await call(own, 'POST', '/api/v1/auth/signin', { email, password: 'not the password 42' }, undefined, ip)).status).toBe(401);
      expect((await call(own, 'POST', '/api/v1/auth/signin', { email, password: 'not the password 42' }, undefined, ip)).status).toBe(401);
      expect((await call(own, 'POST', '/api/v1/auth/signin', { email, password: STRONG_PASSWORD }, undefined, ip)).status).toBe(429);
      expect((await own.fetch('/api/v1/tables/metrics_probe', { headers: { Authorization: `Bearer ${own.keys.service_role}` } })).status).toBe(200);
      const text = await (await own.fetch('/metrics')).text();
      const m = parseMetrics(text);

      expect(m.value('fluxbase_auth_attempts_total', { method: 'password', result: 'success' })).toBe(1);
      expect(m.value('fluxbase_auth_attempts_total', { method: 'password', result: 'failure' })).toBe(2);
      expect(m.value('fluxbase_auth_attempts_total', { method: 'password', result: 'rate_limited' })).toBe(1);
      expect(m.value('fluxbase_rate_limit_hits_total', { limiter: 'login' })).toBe(1);
      for (const state of ['in_use', 'idle', 'waiting']) expect(text).toMatch(new RegExp(`^fluxbase_db_pool_connections\\{state="${state}"\\} \\d+$`, 'm'));
      // Signed in: at least one connection was opened and is back in the pool.
      expect(m.value('fluxbase_db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(1);
      expect(text).toMatch(/^fluxbase_ratelimit_backend_errors_total 0$/m);

      const registry = own.server.metrics.registry;
      const mismatches: string[] = [];
      for (const [name, { type, labels }] of Object.entries(CONTRACT)) {
        if (!text.includes(`# TYPE ${name} ${type}\n`)) mismatches.push(`${name}: no "# TYPE ${name} ${type}" line`);
        const sampled = sampledLabelNames(text, name, type);
        // Metrics nothing has touched yet (realtime, functions, webhooks, storage, jobs) have no
        // samples on the wire; their label names are read from the registered metric instead.
        const names = sampled.length > 0 ? sampled : [[...((registry.getSingleMetric(name) as unknown as { labelNames?: readonly string[] } | undefined)?.labelNames ?? [])].sort()];
        const want = [...labels, ...(EXTRA_LABELS[name] ?? [])].sort().join(',');
        for (const got of new Set(names.map((n) => n.join(',')))) if (got !== want) mismatches.push(`${name}: labels {${got}}, contract {${want}}`);
      }
      expect(mismatches).toEqual([]);
      // What the wire must show after these requests, not only what is registered.
      for (const name of ['fluxbase_http_requests_total', 'fluxbase_db_pool_connections', 'fluxbase_db_query_duration_seconds', 'fluxbase_rate_limit_hits_total', 'fluxbase_auth_attempts_total', 'fluxbase_ratelimit_backend_errors_total']) {
        expect(sampledLabelNames(text, name, CONTRACT[name]!.type).length, name).toBeGreaterThan(0);
      }
    } finally {
      await own.close();
    }
  });

  it('requires the bearer token when metrics.bearer_token is set', async () => {
    const secured = await startTestApp(db.url, { overrides: { metrics: { bearer_token: 'scrape-me' } } });
    try {
      const denied = await secured.fetch('/metrics');
      expect(denied.status).toBe(401);
      expect(((await denied.json()) as { code: string }).code).toBe('MISSING_AUTHENTICATION');
      const wrong = await secured.fetch('/metrics', { headers: { Authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const ok = await secured.fetch('/metrics', { headers: { Authorization: 'Bearer scrape-me' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('fluxbase_http_requests_total');
    } finally {
      await secured.close();
    }
  });
});

describe('request id and security headers', () => {
  it('echoes a sane X-Request-ID', async () => {
    const res = await app.fetch('/health', { headers: { 'X-Request-ID': 'trace-abc.123:x_y-z' } });
    expect(res.headers.get('x-request-id')).toBe('trace-abc.123:x_y-z');
  });

  it.each([['has spaces'], ['a'.repeat(129)], ['semi;colon'], ['']])('replaces an unacceptable X-Request-ID (%j) with a UUID', async (given) => {
    const res = await app.fetch('/nope', { headers: { 'X-Request-ID': given } });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(((await res.json()) as { request_id: string }).request_id).toBe(id);
  });

  it('sends the security headers, and no HSTS for an http public URL', async () => {
    const res = await app.fetch('/health');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('sends the security headers and X-Request-ID on every kind of response, set or progressive', async () => {
    const responses = [
      await app.fetch('/health'),
      await app.fetch('/health', { method: 'HEAD' }),
      await app.fetch('/api/v1/no-such-route'), // our 404
      await app.fetch('/api/v1/tables/books%'), // the router's refusal (bad percent-encoding)
      await app.fetch('/api/v1/auth/signup', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"email":' }), // the JSON parser's
      await app.fetch('/health', { method: 'OPTIONS', headers: { Origin: 'http://localhost:3000', 'Access-Control-Request-Method': 'GET' } }), // CORS preflight
      await app.fetch('/health', { headers: { Origin: 'http://localhost:3000' } }), // CORS headers set before the head
    ];
    for (const res of responses) {
      expect(res.headers.get('x-content-type-options'), `${res.status} ${res.url}`).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      if (res.status >= 400) expect(((await res.json()) as { request_id: string }).request_id).toBe(res.headers.get('x-request-id'));
    }
    const given = await app.fetch('/health', { headers: { 'X-Request-ID': 'trace-42' } });
    expect(given.headers.get('x-request-id')).toBe('trace-42');
  });

  it('sends HSTS when server.public_url is https', async () => {
    const https = await startTestApp(db.url, { overrides: { server: { public_url: 'https://api.example.com' } } });
    try {
      expect((await https.fetch('/health')).headers.get('strict-transport-security')).toContain('max-age=');
    } finally {
      await https.close();
    }
  });
});

describe('404 and 405', () => {
  it('answers unknown routes with NOT_FOUND in the envelope', async () => {
    const res = await app.fetch('/api/v1/nothing-here', { headers: { 'X-Request-ID': 'rid-404' } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: 'Not found', code: 'NOT_FOUND', message: 'No route for GET /api/v1/nothing-here',
      details: { resource: 'route' }, request_id: 'rid-404',
    });
  });

  it('answers a known path with a wrong method with 405 and Allow', async () => {
    const res = await app.fetch('/health', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    const body = (await res.json()) as { code: string; request_id: string };
    expect(body.code).toBe('METHOD_NOT_ALLOWED');
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
  });
});

describe('CORS', () => {
  it('allows any origin without credentials by default', async () => {
    const res = await app.fetch('/health', { headers: { Origin: 'https://anywhere.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Next-Cursor');
  });

  it('answers preflights with methods, headers and a 300 s cache', async () => {
    const res = await app.fetch('/api/v1/tables/posts', {
      method: 'OPTIONS',
      headers: { Origin: 'https://x.example', 'Access-Control-Request-Method': 'PATCH', 'Access-Control-Request-Headers': 'prefer' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(res.headers.get('access-control-allow-headers')).toContain('Idempotency-Key');
    expect(res.headers.get('access-control-allow-headers')).toContain('apikey');
    expect(res.headers.get('access-control-max-age')).toBe('300');
  });

  it('echoes a listed origin with credentials and refuses others', async () => {
    const ok = await cors.fetch('/health', { headers: { Origin: 'https://admin.example.com' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://admin.example.com');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('vary')).toContain('Origin');
    const no = await cors.fetch('/health', { headers: { Origin: 'https://evil.example.com' } });
    expect(no.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await cors.fetch('/health', { method: 'OPTIONS', headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET' } });
    expect(pre.headers.get('access-control-max-age')).toBe('600');
  });
});
