// A resolved Fluxbase config for the benchmarks: production mode, silent logs, loopback
// on a free port, explicit secrets, no environment influence (the approach of the test
// harness's testConfig, which bench/ must not import).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, mergeOverrides, resolveSecrets, type Config } from '../../packages/server/src/config/index.ts';
import type { ServeOptions } from './types.ts';

export type Overrides = Record<string, unknown>;


export function benchConfig(serve: ServeOptions, overrides: Overrides = {}): Config {
  const base: Overrides = {
    env: 'production',
    data_dir: mkdtempSync(path.join(os.tmpdir(), 'fluxbase-bench-app-')),
    encryption_key: serve.encryptionKey,
    server: { host: '127.0.0.1', port: 0, shutdown_timeout: '5s' },
    database: { url: serve.databaseUrl, max_connections: serve.maxConnections },
    auth: { jwt_secret: serve.jwtSecret },
    logging: { level: 'silent', format: 'json' },
    // The limiter stays in the path (its cost is measured) but never refuses: one user
    // token makes every request, far beyond the default 1000/1m.
    rate_limit: { global: '1000000000/1m' },
    // Production requires SMTP; no benchmark sends mail, so nothing listens there.
    email: { smtp_url: 'smtp://127.0.0.1:9' },
    // Project migrations: none (the data dir is empty).
    migrations: { dir: path.join(os.tmpdir(), 'fluxbase-bench-no-migrations') },
  };
  return resolveSecrets(loadConfig({ env: {}, overrides: mergeOverrides(base, overrides), cwd: os.tmpdir() })).config;
}
