// The bench database: a fresh database on the embedded PostgreSQL started in a temp dir,
// or on FLUXBASE_DATABASE_URL / DATABASE_URL when set (an owner/superuser URL).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../packages/server/src/db/index.ts';
import { createLogger } from '../../packages/server/src/observability/index.ts';

export interface BenchDatabase {
  /** Owner URL of the bench database. */
  url: string;
  /** Where it runs, for the report. */
  where: string;
  close(): Promise<void>;
}

export async function openBenchDatabase(log: (m: string) => void): Promise<BenchDatabase> {
  let adminUrl = process.env.FLUXBASE_DATABASE_URL || process.env.DATABASE_URL || '';
  let embedded: EmbeddedPostgres | undefined;
  let dir: string | undefined;
  if (!adminUrl) {
    // Under os.tmpdir(): as root, the `postgres` OS user must be able to traverse it.
    dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-bench-pg-'));
    log(`starting embedded PostgreSQL in ${dir}`);
    embedded = await startEmbeddedPostgres({ dataDir: dir, logger: createLogger({ level: 'warn', format: 'json' }), maxConnections: 300 });
    adminUrl = embedded.url;
  }
  const name = `fluxbase_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 1 });
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    where: embedded ? 'embedded PostgreSQL (temp dir)' : `${u.hostname}:${u.port || 5432}`,
    async close() {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
      await a.end({ timeout: 1 });
      await embedded?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
