// Logical backups of an external PostgreSQL: pg_dump of the server's major version in
// directory format (compressed, parallel with --jobs), plus the non-system roles the dump
// refers to (roles are cluster-wide, so pg_dump leaves them out). A restore creates the
// roles that are missing, restores into a new database and only then swaps it in by
// renaming, so a failed restore leaves the target as it was.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type postgres from 'postgres';
import { CliError } from '../context.ts';
import { storeFile, walk, hashFile, type StoreOptions } from './file-copy.ts';
import type { ManifestFile } from './manifest.ts';
import { findProgram, installHint, type PgProgram } from './pg-tools.ts';

const run = promisify(execFile);
export const DUMP_PREFIX = 'database/dump';
export const ROLES_FILE = 'database/roles.json';

export interface RoleRow {
  rolname: string;
  rolcanlogin: boolean;
  rolinherit: boolean;
  rolbypassrls: boolean;
  member_of: string[];
}

/** libpq connection settings for a URL, the password in PGPASSWORD rather than the command line. */
export function libpqTarget(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { dbname: u.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** The pg_dump to use for a server of `major`: exactly that major, or a newer one. */
export function dumpTool(major: number): PgProgram | undefined {
  return findProgram('pg_dump', major, { atLeast: true });
}

async function pgTool(program: PgProgram, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await run(program.path, args, { env, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const text = (e.stderr ?? '').trim().split('\n').filter(Boolean).slice(-3).join(' | ') || e.message;
    throw new CliError(`${path.basename(program.path)} failed: ${text}`);
  }
}

export async function backupLogical(sql: postgres.Sql, url: string, major: number, backupDir: string, options: StoreOptions & { jobs: number }): Promise<{ files: ManifestFile[]; toolMajor: number }> {
  const tool = dumpTool(major);
  if (!tool) throw new CliError(`a logical backup of this PostgreSQL ${major} server needs pg_dump ${major} or newer. ${installHint('pg_dump', major)}`);
  const target = libpqTarget(url);
  const dumpDir = path.join(backupDir, DUMP_PREFIX);
  mkdirSync(path.dirname(dumpDir), { recursive: true }); // pg_dump creates the last level only
  await pgTool(tool, [`--dbname=${target.dbname}`, '--format=directory', `--jobs=${options.jobs}`, `--compress=${options.compress ? 6 : 0}`, `--file=${dumpDir}`], target.env);
  const files: ManifestFile[] = [];
  for (const rel of walk(dumpDir).files) {
    files.push({ path: `${DUMP_PREFIX}/${rel.split(path.sep).join('/')}`, ...(await hashFile(path.join(dumpDir, rel))) });
  }
  const roles = await sql<RoleRow[]>`
    select r.rolname, r.rolcanlogin, r.rolinherit, r.rolbypassrls,
           coalesce(array(select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = r.oid and g.rolname !~ '^pg_' order by 1), '{}') as member_of
      from pg_roles r
     where r.rolname !~ '^pg_' and not r.rolsuper and r.rolname <> current_user
     order by r.rolname`;
  const rolesFile = await storeFile(Readable.from([Buffer.from(`${JSON.stringify(roles, null, 2)}\n`)]), backupDir, ROLES_FILE, { ...options, compress: false });
  return { files: [...files, rolesFile!], toolMajor: tool.major };
}

/** Create the roles the dump refers to that the target server lacks (without passwords), and their memberships. */
export async function ensureRoles(admin: postgres.Sql, roles: RoleRow[]): Promise<string[]> {
  const created: string[] = [];
  for (const r of roles) {
    const [exists] = await admin`select 1 from pg_roles where rolname = ${r.rolname}`;
    if (exists) continue;
    const flags = [r.rolcanlogin ? 'login' : 'nologin', r.rolinherit ? 'inherit' : 'noinherit', r.rolbypassrls ? 'bypassrls' : 'nobypassrls'].join(' ');
    try {
      await admin.unsafe(`create role ${quoteIdent(r.rolname)} ${flags}`);
    } catch (err) {
      throw new CliError(`cannot create role ${r.rolname} on the target server (${(err as Error).message}): restore as a superuser, or create the role first`);
    }
    created.push(r.rolname);
  }
  for (const r of roles) {
    for (const g of r.member_of) await admin.unsafe(`grant ${quoteIdent(g)} to ${quoteIdent(r.rolname)}`).catch(() => {});
  }
  return created;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A fresh database name next to `target` for restoring into (at most 63 bytes). */
export function scratchName(target: string, what: string): string {
  return `${target.slice(0, 40)}_${what}_${randomBytes(4).toString('hex')}`;
}

/** pg_restore the dump into `database` (which must exist and be empty). */
export async function pgRestore(toolMajor: number, url: string, database: string, dumpDir: string, jobs: number): Promise<void> {
  const tool = findProgram('pg_restore', toolMajor, { atLeast: true });
  if (!tool) throw new CliError(`this backup was written by pg_dump ${toolMajor}: restoring it needs pg_restore ${toolMajor} or newer. ${installHint('pg_restore', toolMajor)}`);
  const target = libpqTarget(withDatabase(url, database));
  await pgTool(tool, [`--dbname=${target.dbname}`, `--jobs=${jobs}`, '--exit-on-error', dumpDir], target.env);
}

/** `pg_restore --list` of a dump: proves its table of contents reads. */
export async function listDump(toolMajor: number, dumpDir: string): Promise<number> {
  const tool = findProgram('pg_restore', toolMajor, { atLeast: true });
  if (!tool) throw new CliError(installHint('pg_restore', toolMajor));
  try {
    const { stdout } = await run(tool.path, ['--list', dumpDir], { maxBuffer: 64 * 1024 * 1024 });
    return stdout.split('\n').filter((l) => l && !l.startsWith(';')).length;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new CliError(`the dump does not read (pg_restore --list: ${(e.stderr ?? e.message).trim()}): the backup is corrupt; use another backup`);
  }
}
