// One PostgreSQL per test run: the embedded server in a temporary directory (or
// FLUXBASE_TEST_DATABASE_URL), and a migrated template database from which every test
// file clones its own database (graphile-worker's helpers do the same).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { loadMigrations, migrateUp, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/index.ts';
import { createLogger } from '../../src/observability/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
  }
}

let embedded: EmbeddedPostgres | undefined;
let dir: string | undefined;

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const logger = createLogger({ level: 'warn', format: 'json' });
  let adminUrl = process.env.FLUXBASE_TEST_DATABASE_URL;
  if (!adminUrl) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-test-'));
    // pg_stat_statements: graphql-api.test.ts counts the statements of an operation in PostgreSQL itself.
    embedded = await startEmbeddedPostgres({ dataDir: dir, logger, maxConnections: 400, settings: { shared_preload_libraries: 'pg_stat_statements' } });
    adminUrl = embedded.url;
  }
  const templateDb = `fluxbase_template_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${templateDb}`);
  await admin.unsafe(`create database ${templateDb}`);
  await admin.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${templateDb}`;
  const sql = postgres(templateUrl.toString(), { max: 1, onnotice: () => {} });
  await migrateUp(sql, loadMigrations());
  await sql.end();

  project.provide('adminUrl', adminUrl);
  project.provide('templateDb', templateDb);

  return async () => {
    const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
    const dbs = await cleanup<{ datname: string }[]>`select datname from pg_database where datname like ${`fluxbase_t_${process.pid}_%`} or datname = ${templateDb}`;
    for (const { datname } of dbs) await cleanup.unsafe(`drop database if exists "${datname}" with (force)`).catch(() => {});
    await cleanup.end();
    await embedded?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}
