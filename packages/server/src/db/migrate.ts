// Migrations: numbered SQL files applied in order, each in its own transaction, under a
// session advisory lock so instances starting together apply each file once. A checksum
// is kept per applied file; an applied file that was edited is refused.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type postgres from 'postgres';

export interface Migration {
  version: number;
  name: string;
  up: string;
  down: string | undefined;
  checksum: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  applied_at: Date;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Advisory lock key: a fixed 64-bit number ("fluxbase" in ASCII). */
const LOCK_KEY = 0x666c7578626173n;

// Two levels up from src/db/ and from the bundle's dist/cli/ alike (bin/fluxbase.js).
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

const FILE_RE = /^(\d{3,})_([a-z0-9_]+)\.(up|down)\.sql$/;

export function loadMigrations(dir = DEFAULT_MIGRATIONS_DIR): Migration[] {
  const byVersion = new Map<number, Partial<Migration> & { version: number; name: string }>();
  for (const file of readdirSync(dir)) {
    const m = FILE_RE.exec(file);
    if (!m) {
      if (file.endsWith('.sql')) throw new MigrationError(`migration file ${file} does not match NNN_name.up.sql / NNN_name.down.sql`);
      continue;
    }
    const version = Number(m[1]);
    const entry = byVersion.get(version) ?? { version, name: m[2]! };
    if (entry.name !== m[2]) throw new MigrationError(`migration ${version} has two names: ${entry.name} and ${m[2]}`);
    const text = readFileSync(path.join(dir, file), 'utf8');
    if (m[3] === 'up') entry.up = text;
    else entry.down = text;
    byVersion.set(version, entry);
  }
  const list = [...byVersion.values()].sort((a, b) => a.version - b.version);
  return list.map((e) => {
    if (e.up === undefined) throw new MigrationError(`migration ${e.version}_${e.name} has no .up.sql file`);
    return {
      version: e.version, name: e.name, up: e.up, down: e.down,
      checksum: createHash('sha256').update(e.up).digest('hex'),
    };
  });
}

async function bootstrap(sql: postgres.ReservedSql): Promise<void> {
  await sql.unsafe(`
    create schema if not exists fluxbase;
    create table if not exists fluxbase.schema_migrations (
      version integer primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    );`);
}

async function withLock<T>(sql: postgres.Sql, fn: (conn: postgres.ReservedSql) => Promise<T>): Promise<T> {
  const conn = await sql.reserve();
  try {
    await conn`select pg_advisory_lock(${LOCK_KEY.toString()}::bigint)`;
    try {
      await conn.unsafe('set client_min_messages = warning');
      await bootstrap(conn);
      return await fn(conn);
    } finally {
      await conn`select pg_advisory_unlock(${LOCK_KEY.toString()}::bigint)`.catch(() => {});
    }
  } finally {
    conn.release();
  }
}

function verifyChecksums(applied: AppliedMigration[], migrations: Migration[]): void {
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  for (const a of applied) {
    const m = byVersion.get(a.version);
    if (!m) continue; // applied by a newer release; leave it
    if (m.checksum !== a.checksum) {
      throw new MigrationError(
        `migration ${String(a.version).padStart(3, '0')}_${a.name} was edited after it was applied (checksum ${a.checksum.slice(0, 12)}… in the database, ${m.checksum.slice(0, 12)}… on disk). ` +
          'Applied migrations must never change: restore the original file and put the change in a new migration.',
      );
    }
  }
}

export interface MigrateResult {
  applied: Migration[];
  alreadyApplied: number;
}

export async function migrateUp(
  sql: postgres.Sql,
  migrations: Migration[],
  onApplied?: (m: Migration, ms: number) => void,
): Promise<MigrateResult> {
  return withLock(sql, async (conn) => {
    const applied = await conn<AppliedMigration[]>`select version, name, checksum, applied_at from fluxbase.schema_migrations order by version`;
    verifyChecksums(applied, migrations);
    const done = new Set(applied.map((a) => a.version));
    const result: MigrateResult = { applied: [], alreadyApplied: done.size };
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      const started = performance.now();
      try {
        await conn.unsafe('begin');
        await conn.unsafe(m.up);
        await conn`insert into fluxbase.schema_migrations (version, name, checksum) values (${m.version}, ${m.name}, ${m.checksum})`;
        await conn.unsafe('commit');
      } catch (err) {
        await conn.unsafe('rollback').catch(() => {});
        throw new MigrationError(`migration ${String(m.version).padStart(3, '0')}_${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      result.applied.push(m);
      onApplied?.(m, performance.now() - started);
    }
    return result;
  });
}

export async function migrateDown(sql: postgres.Sql, migrations: Migration[], steps: number): Promise<Migration[]> {
  return withLock(sql, async (conn) => {
    const applied = await conn<AppliedMigration[]>`select version, name, checksum, applied_at from fluxbase.schema_migrations order by version desc limit ${steps}`;
    const byVersion = new Map(migrations.map((m) => [m.version, m]));
    const reverted: Migration[] = [];
    for (const a of applied) {
      const m = byVersion.get(a.version);
      if (!m?.down) throw new MigrationError(`migration ${a.version}_${a.name} has no .down.sql file`);
      try {
        await conn.unsafe('begin');
        await conn.unsafe(m.down);
        await conn`delete from fluxbase.schema_migrations where version = ${a.version}`;
        await conn.unsafe('commit');
      } catch (err) {
        await conn.unsafe('rollback').catch(() => {});
        throw new MigrationError(`reverting ${a.version}_${a.name} failed: ${(err as Error).message}`, { cause: err });
      }
      reverted.push(m);
    }
    return reverted;
  });
}

/** True when every known migration is applied with a matching checksum (for /ready). */
export async function migrationsCurrent(sql: postgres.Sql | postgres.ReservedSql, migrations: Migration[]): Promise<boolean> {
  const rows = await sql<{ version: number; checksum: string }[]>`
    select version, checksum from fluxbase.schema_migrations`.catch(() => []);
  const have = new Map(rows.map((r) => [r.version, r.checksum]));
  return migrations.every((m) => have.get(m.version) === m.checksum);
}

export function migrationsDirExists(dir: string): boolean {
  return existsSync(dir);
}
