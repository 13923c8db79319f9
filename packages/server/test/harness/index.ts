// Test harness: a fresh database per test file (cloned from the migrated template) and
// the real app started on port 0 against it.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { inject } from 'vitest';
import { loadConfig, mergeOverrides, resolveSecrets, type Config } from '../../src/config/index.ts';
import { signJwt } from '../../src/http/index.ts';
import { startServer, type RunningServer, type StartOptions } from '../../src/main.ts';
import { createLogger } from '../../src/observability/index.ts';

export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789abcdef';
export const TEST_ENCRYPTION_KEY = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

export interface TestDatabase {
  name: string;
  /** Owner (superuser) URL of the test database. */
  url: string;
  /** An owner connection for arranging fixtures. */
  sql: postgres.Sql;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  return inject('adminUrl');
}

export function urlFor(database: string): string {
  const u = new URL(inject('adminUrl'));
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh database cloned from the migrated template (empty: pass `template: false`). */
export async function createTestDatabase(options: { template?: boolean } = {}): Promise<TestDatabase> {
  const name = `fluxbase_t_${inject('templateDb').split('_').pop()}_${randomBytes(5).toString('hex')}`;
  const admin = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.unsafe(options.template === false ? `create database ${name}` : `create database ${name} template ${inject('templateDb')}`);
        break;
      } catch (err) {
        // Two files cloning the template at the same instant: PostgreSQL refuses one; retry.
        if (attempt > 20 || !/being accessed by other users/.test((err as Error).message)) throw err;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  } finally {
    await admin.end();
  }
  const url = urlFor(name);
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  return {
    name, url, sql,
    async drop() {
      await sql.end({ timeout: 1 });
      const a = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
      await a.end();
    },
  };
}

export type Overrides = Record<string, unknown>;


/** A resolved config for tests: the given database, port 0, fixed secrets, no env influence. */
export function testConfig(databaseUrl: string, overrides: Overrides = {}): Config {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-app-'));
  const base: Overrides = {
    env: 'test',
    data_dir: dataDir,
    // No project migrations unless a test points here (the folder does not exist).
    migrations: { dir: path.join(dataDir, 'migrations') },
    functions: { dir: path.join(dataDir, 'functions') },
    // One job worker per test server (the default is 4): tests that need more say so.
    jobs: { dir: path.join(dataDir, 'jobs'), worker_count: 1 },
    encryption_key: TEST_ENCRYPTION_KEY,
    server: { host: '127.0.0.1', port: 0, shutdown_timeout: '5s' },
    database: { url: databaseUrl, max_connections: 5, min_connections: 1 },
    auth: { jwt_secret: TEST_JWT_SECRET },
    logging: { level: 'silent', format: 'json' },
  };
  return resolveSecrets(loadConfig({ env: {}, overrides: mergeOverrides(base, overrides), cwd: os.tmpdir() })).config;
}

export interface TestApp {
  server: RunningServer;
  url: string;
  keys: RunningServer['keys'];
  /** fetch relative to the app URL. */
  fetch(pathname: string, init?: RequestInit): Promise<Response>;
  /** A user access token for `sub` (15 min), signed with the test secret. */
  userToken(sub: string, claims?: Record<string, unknown>): string;
  close(): Promise<void>;
}

export async function startTestApp(
  databaseUrl: string,
  options: { overrides?: Overrides; plugins?: StartOptions['plugins']; logger?: StartOptions['logger']; clock?: StartOptions['clock'] } = {},
): Promise<TestApp> {
  const config = testConfig(databaseUrl, options.overrides);
  const server = await startServer({
    config, plugins: options.plugins, processMetrics: false, clock: options.clock,
    logger: options.logger ?? createLogger({ level: 'silent', format: 'json' }),
  });
  return {
    server,
    url: server.url,
    keys: server.keys,
    fetch: (pathname, init) => fetch(`${server.url}${pathname}`, init),
    userToken: (sub, claims = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return signJwt({ iss: 'fluxbase', aud: 'authenticated', sub, role: 'authenticated', iat: now, exp: now + 900, ...claims }, TEST_JWT_SECRET);
    },
    close: () => server.close(),
  };
}
