// The project's own migrations (docs/migrations.md): `NNNN_name.sql` files in the
// project's migrations folder, applied in version order, each in its own transaction,
// under an advisory lock (so instances starting together apply each file once), recorded
// with a checksum in fluxbase.user_migrations, apart from Fluxbase's own migrations. An
// applied file that was edited is refused, as Fluxbase's own are (migrate.ts).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type postgres from 'postgres';
import { MigrationError } from './migrate.ts';

export interface UserMigration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export interface UserMigrationStatus {
  version: number;
  name: string;
  /** `pending`: not applied yet; `applied`; `changed`: applied, but the file differs now; `missing`: applied, file gone. */
  state: 'pending' | 'applied' | 'changed' | 'missing';
  appliedAt: Date | undefined;
}

/** Advisory lock key for the project's migrations ("flxusers" in ASCII), apart from Fluxbase's own. */
const LOCK_KEY = 0x666c787573657273n;

const FILE_RE = /^(\d{1,18})_([A-Za-z0-9][A-Za-z0-9_-]*)\.sql$/;

const checksumOf = (text: string) => createHash('sha256').update(text).digest('hex');

export const fileNameOf = (m: { version: number; name: string }) => `${String(m.version).padStart(4, '0')}_${m.name}.sql`;

/** The migrations in `dir`, in version order (none when the folder does not exist). */
export function loadUserMigrations(dir: string): UserMigration[] {
  if (!existsSync(dir)) return [];
  const byVersion = new Map<number, UserMigration>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE_RE.exec(file);
    if (!m) throw new MigrationError(`${path.join(dir, file)}: migration files are named NNNN_name.sql (digits, an underscore, letters, digits, _ or -); rename it`);
    const version = Number(m[1]);
    const other = byVersion.get(version);
    if (other) throw new MigrationError(`${dir}: ${other.file} and ${file} have the same version ${version}; renumber one of them`);
    const sql = readFileSync(path.join(dir, file), 'utf8');
    byVersion.set(version, { version, name: m[2]!, file, sql, checksum: checksumOf(sql) });
  }
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

interface AppliedRow {
  version: string;
  name: string;
  checksum: string;
  applied_at: Date;
}

async function appliedRows(sql: postgres.Sql | postgres.ReservedSql): Promise<AppliedRow[]> {
  return sql<AppliedRow[]>`select version::text as version, name, checksum, applied_at from fluxbase.user_migrations order by version`;
}

/** Every migration on disk or in the database, with its state. */
export async function userMigrationStatus(sql: postgres.Sql, migrations: UserMigration[]): Promise<UserMigrationStatus[]> {
  const applied = new Map((await appliedRows(sql)).map((r) => [Number(r.version), r]));
  const out: UserMigrationStatus[] = migrations.map((m) => {
    const row = applied.get(m.version);
    return {
      version: m.version, name: m.name, appliedAt: row?.applied_at,
      state: row === undefined ? 'pending' : row.checksum === m.checksum ? 'applied' : 'changed',
    };
  });
  const onDisk = new Set(migrations.map((m) => m.version));
  for (const [version, row] of applied) {
    if (!onDisk.has(version)) out.push({ version, name: row.name, state: 'missing', appliedAt: row.applied_at });
  }
  return out.sort((a, b) => a.version - b.version);
}

export interface UserMigrateResult {
  applied: UserMigration[];
  alreadyApplied: number;
}

/** Apply the pending migrations in order, each in its own transaction; refuse if an applied one was edited. */
export async function applyUserMigrations(
  sql: postgres.Sql,
  migrations: UserMigration[],
  onApplied?: (m: UserMigration, ms: number) => void,
): Promise<UserMigrateResult> {
  const conn = await sql.reserve();
  try {
    await conn`select pg_advisory_lock(${LOCK_KEY.toString()}::bigint)`;
    try {
      const applied = await appliedRows(conn);
      const byVersion = new Map(migrations.map((m) => [m.version, m]));
      for (const row of applied) {
        const m = byVersion.get(Number(row.version));
        if (m && m.checksum !== row.checksum) {
          throw new MigrationError(
            `migration ${m.file} was edited after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ${m.checksum.slice(0, 12)}… on disk). ` +
              'An applied migration must not change: restore it and put the change in a new one (`fluxbase db new <name>`), or in development reset with `fluxbase db reset`.',
          );
        }
      }
      const done = new Set(applied.map((r) => Number(r.version)));
      const result: UserMigrateResult = { applied: [], alreadyApplied: done.size };
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        const started = performance.now();
        try {
          await conn.unsafe('begin');
          await conn.unsafe(m.sql);
          const ms = Math.round(performance.now() - started);
          await conn`insert into fluxbase.user_migrations (version, name, checksum, execution_ms) values (${m.version}, ${m.name}, ${m.checksum}, ${ms})`;
          await conn.unsafe('commit');
        } catch (err) {
          await conn.unsafe('rollback').catch(() => {});
          const e = err as { message: string; position?: string };
          throw new MigrationError(`migration ${m.file} failed and was rolled back: ${e.message}${lineOf(m.sql, e.position)}`, { cause: err });
        }
        result.applied.push(m);
        onApplied?.(m, performance.now() - started);
      }
      return result;
    } finally {
      await conn`select pg_advisory_unlock(${LOCK_KEY.toString()}::bigint)`.catch(() => {});
    }
  } finally {
    conn.release();
  }
}

/** " (line N)" for a PostgreSQL error position (a 1-based character offset), if any. */
function lineOf(text: string, position: string | undefined): string {
  const at = Number(position);
  if (!Number.isInteger(at) || at < 1) return '';
  return ` (line ${text.slice(0, at - 1).split('\n').length})`;
}

/** Create the next migration file in `dir` (created if missing); returns its path. */
export function newUserMigration(dir: string, rawName: string): string {
  const name = rawName.trim().toLowerCase().replace(/[^a-z0-9_-]+/g, '_').replace(/^[_-]+|[_-]+$/g, '');
  if (name === '') throw new MigrationError(`"${rawName}" is not a usable migration name: use letters, digits, _ or -`);
  mkdirSync(dir, { recursive: true });
  const existing = loadUserMigrations(dir);
  const version = (existing.at(-1)?.version ?? 0) + 1;
  const file = path.join(dir, fileNameOf({ version, name }));
  writeFileSync(file, `-- ${fileNameOf({ version, name })}: write the schema change here. Applied once, in a transaction,\n-- on the next start or by \`fluxbase db migrate\`; never edit it once applied.\n`, { flag: 'wx' });
  return file;
}

/**
 * What 001_foundation.up.sql sets up on `public`: the request roles may use whatever the
 * owner creates there (Row Level Security decides which rows). Re-created by a reset,
 * since dropping the schema drops its grants and default privileges.
 */
function schemaGrantsSql(schema: string): string {
  const s = `"${schema.replace(/"/g, '""')}"`;
  return `
    grant usage on schema ${s} to anon, authenticated, service_role;
    grant create on schema ${s} to service_role;
    alter default privileges in schema ${s} grant all on tables to anon, authenticated, service_role;
    alter default privileges in schema ${s} grant all on sequences to anon, authenticated, service_role;
    alter default privileges in schema ${s} grant all on routines to anon, authenticated, service_role;
    do $$ begin
      alter default privileges for role service_role in schema ${s} grant all on tables to anon, authenticated, service_role;
      alter default privileges for role service_role in schema ${s} grant all on sequences to anon, authenticated, service_role;
      alter default privileges for role service_role in schema ${s} grant all on routines to anon, authenticated, service_role;
    exception when insufficient_privilege then null;
    end $$;`;
}

/** Development only: drop and re-create the exposed schemas and forget the applied project migrations. */
export async function resetUserSchemas(sql: postgres.Sql, schemas: string[]): Promise<void> {
  await sql.begin(async (tx) => {
    for (const schema of schemas) {
      const s = `"${schema.replace(/"/g, '""')}"`;
      await tx.unsafe(`drop schema if exists ${s} cascade; create schema ${s}; ${schemaGrantsSql(schema)}`);
    }
    await tx`delete from fluxbase.user_migrations`;
  });
}
