// `fluxbase types generate`: introspect the database and write the generated TypeScript
// (the same generator as GET /api/v1/admin/schema/typescript) to --output or stdout.
// With --db-url it only reads that database (no config, no migrations); otherwise it opens
// the configured (or embedded) database as `serve` does, migrations included. Logs go to
// stderr so stdout carries nothing but the types.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { checkSchemas, generateTypes } from '../admin/index.ts';
import { createSchemaCache, DatabaseConnectError, openDatabase, redactUrl, type SchemaSnapshot } from '../db/index.ts';
import { resolveConfig } from '../main.ts';
import { createLogger, type Logger } from '../observability/index.ts';

export interface TypesGenerateOptions {
  dbUrl?: string;
  /** Comma-separated schema names (default `public`). */
  schemas: string;
  includeFunctions: boolean;
  includeViews: boolean;
  output?: string;
}

export class TypesCommandError extends Error {
  override name = 'TypesCommandError';
}

export function parseSchemaOption(value: string): string[] {
  const names = value.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new TypesCommandError('--schemas takes a comma-separated list of schema names, e.g. --schemas public,api');
  return [...new Set(names)];
}

async function introspect(sql: postgres.Sql, schemas: string[], logger: Logger): Promise<SchemaSnapshot> {
  // Expose exactly the asked schemas so their tables and functions are introspected.
  const cache = createSchemaCache({ sql, exposedSchemas: schemas, logger });
  try {
    return await cache.reload();
  } finally {
    await cache.stop().catch(() => {});
  }
}

async function snapshotFromUrl(url: string, schemas: string[], logger: Logger): Promise<SchemaSnapshot> {
  const sql = postgres(url, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    try {
      await sql`select 1`;
    } catch (err) {
      throw new DatabaseConnectError(`Cannot connect to PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
    }
    return await introspect(sql, schemas, logger);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function snapshotFromConfig(configFile: string | undefined, schemas: string[]): Promise<SchemaSnapshot> {
  const { config } = resolveConfig({ file: configFile });
  const logger = createLogger({ level: config.logging.level, format: 'json', destination: process.stderr });
  const db = await openDatabase({
    url: config.database.url,
    dataDir: config.data_dir,
    maxConnections: 1,
    minConnections: 0,
    statementTimeoutMs: config.database.statement_timeout,
    connectTimeoutMs: config.database.connect_timeout,
    poolWaitTimeoutMs: config.database.pool_wait_timeout,
    encryptionKey: config.encryptionKeyBytes,
  }, logger);
  try {
    return await introspect(db.admin, schemas, logger);
  } finally {
    await db.close();
  }
}

/** Generate and write the types; returns the source. Throws TypesCommandError for bad input. */
export async function typesGenerate(opts: TypesGenerateOptions, configFile: string | undefined): Promise<string> {
  const asked = parseSchemaOption(opts.schemas);
  const snapshot = opts.dbUrl !== undefined
    ? await snapshotFromUrl(opts.dbUrl, asked, createLogger({ level: 'warn', format: 'json', destination: process.stderr }))
    : await snapshotFromConfig(configFile, asked);
  let schemas: string[];
  try {
    schemas = checkSchemas(snapshot, asked);
  } catch (err) {
    throw new TypesCommandError((err as Error).message);
  }
  const source = generateTypes(snapshot, { schemas, includeFunctions: opts.includeFunctions, includeViews: opts.includeViews });
  if (opts.output !== undefined) {
    mkdirSync(path.dirname(path.resolve(opts.output)), { recursive: true });
    writeFileSync(opts.output, source);
  } else {
    process.stdout.write(source);
  }
  return source;
}
