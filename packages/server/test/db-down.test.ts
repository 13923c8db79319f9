// The database going away and coming back: requests get 503 SERVICE_UNAVAILABLE with
// Retry-After while it is down, /health turns degraded, and the server recovers without
// a restart. Uses its own embedded PostgreSQL so stopping it disturbs no other file.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/index.ts';
import { createLogger } from '../src/observability/index.ts';
import { startTestApp, type TestApp } from './harness/index.ts';
import { testRoutes } from './harness/test-routes.ts';

const logger = createLogger({ level: 'silent', format: 'json' });
let dir: string;
let pg: EmbeddedPostgres;
let app: TestApp;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-down-'));
  pg = await startEmbeddedPostgres({ dataDir: dir, logger });
  app = await startTestApp(pg.url, { plugins: [testRoutes()], overrides: { database: { connect_timeout: '2s' } } });
});
afterAll(async () => {
  await app?.close();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('database outage', () => {
  it('serves normally while the database is up', async () => {
    expect((await app.fetch('/api/v1/__test/whoami')).status).toBe(200);
    expect((await app.fetch('/ready')).status).toBe(200);
  });

  it('answers 503 with Retry-After while the database is down, then recovers', async () => {
    const port = pg.port;
    await pg.stop();

    const res = await app.fetch('/api/v1/__test/whoami');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = (await res.json()) as { code: string; message: string; request_id: string };
    expect(body.code).toBe('SERVICE_UNAVAILABLE');
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
    expect(JSON.stringify(body)).not.toMatch(/password|127\.0\.0\.1|ECONNREFUSED/);

    const ready = await app.fetch('/ready');
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('5');
    expect(((await ready.json()) as { details: unknown }).details).toEqual({ checks: { database: false, migrations: false } });

    const health = await app.fetch('/health');
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string; services: { database: boolean } })).toMatchObject({ status: 'degraded', services: { database: false } });

    pg = await startEmbeddedPostgres({ dataDir: dir, logger, port });
    let recovered = 0;
    for (let i = 0; i < 50 && recovered !== 200; i++) {
      recovered = (await app.fetch('/api/v1/__test/whoami')).status;
      if (recovered !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(recovered).toBe(200);
    expect((await app.fetch('/ready')).status).toBe(200);
    expect(((await (await app.fetch('/health')).json()) as { status: string }).status).toBe('ok');
  });
});
