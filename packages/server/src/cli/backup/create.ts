// `fluxbase backup [create]`: the database (physical or logical, see physical.ts and
// logical.ts), the local storage objects and the secrets' names into a temporary
// directory that is renamed to `fluxbase-<UTC time>-<method>/` only once complete, with
// its manifest written last; then retention and the Prometheus textfile.
import { accessSync, constants, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type postgres from 'postgres';
import type { ConfigValues } from '../../config/index.ts';
import { CliError } from '../context.ts';
import type { OpenWriter } from './file-copy.ts';
import { storeFile } from './file-copy.ts';
import { backupLogical, dumpTool } from './logical.ts';
import { MANIFEST_FILE, MANIFEST_FORMAT, type BackupMethod, type Manifest, type ManifestFile } from './manifest.ts';
import { writeBackupMetrics } from './metrics-file.ts';
import { backupPhysical } from './physical.ts';
import { installHint } from './pg-tools.ts';
import { applyRetention, backupName } from './retention.ts';
import { currentSecrets, SECRETS_FILE, secretEntries } from './secrets.ts';
import { backupStorage } from './storage-copy.ts';

export interface BackupOptions {
  out: string;
  method: 'auto' | BackupMethod;
  jobs: number;
  compress: boolean;
  keep?: number;
  includeSecrets: boolean;
  dryRun: boolean;
  metricsFile?: string;
  fluxbaseVersion: string;
  /** Destination of each stored file (tests inject a failing one). */
  openWriter?: OpenWriter;
  now?: () => Date;
  log: (line: string) => void;
}

export interface ServerFacts {
  url: string;
  sql: postgres.Sql;
  embedded: boolean;
}

interface DatabaseFacts {
  version: string;
  major: number;
  database: string;
  migration: number;
  dataDirectory: string;
}

async function databaseFacts(sql: postgres.Sql): Promise<DatabaseFacts> {
  const [row] = await sql<{ version: string; num: string; database: string; data_directory: string }[]>`
    select current_setting('server_version') as version, current_setting('server_version_num') as num,
           current_database() as database, current_setting('data_directory') as data_directory`;
  const migration = await sql<{ v: number }[]>`select coalesce(max(version), 0)::int as v from fluxbase.schema_migrations`.then((r) => r[0]!.v, () => 0);
  return { version: row!.version, major: Math.floor(Number(row!.num) / 10000), database: row!.database, migration, dataDirectory: row!.data_directory };
}

/** The method `auto` means for this server. */
export function chooseMethod(requested: BackupOptions['method'], embedded: boolean, major: number, dataDirReadable: boolean): BackupMethod {
  if (requested !== 'auto') return requested;
  if (embedded) return 'physical';
  if (dumpTool(major)) return 'logical';
  if (dataDirReadable) return 'physical';
  throw new CliError(`cannot back up this PostgreSQL ${major} server: no pg_dump ${major} or newer is installed and its data directory is not on this machine. ${installHint('pg_dump', major)}`);
}

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

export interface BackupResult {
  dir: string;
  manifest: Manifest;
  deleted: string[];
}

export async function createBackup(values: ConfigValues, server: ServerFacts, options: BackupOptions): Promise<BackupResult | undefined> {
  const started = process.hrtime.bigint();
  const now = options.now ?? (() => new Date());
  const facts = await databaseFacts(server.sql);
  const method = chooseMethod(options.method, server.embedded, facts.major, readable(path.join(facts.dataDirectory, 'PG_VERSION')));
  const createdAt = now();
  const name = backupName(createdAt, method);
  const out = path.resolve(options.out);
  const finalDir = path.join(out, name);
  const storageLocal = values.storage.enabled && values.storage.backend === 'local';
  const secrets = currentSecrets(values);

  if (options.dryRun) {
    options.log(`would back up database ${facts.database} (PostgreSQL ${facts.version}, Fluxbase migration ${facts.migration}) with the ${method} method` +
      (method === 'physical' ? ` (low-level base backup of ${facts.dataDirectory} plus its WAL)` : ` (pg_dump ${dumpTool(facts.major)?.major ?? '?'}, directory format, ${options.jobs} job(s))`));
    options.log(storageLocal ? `would copy storage objects from ${values.storage.local_path}` : `would not copy storage objects (backend ${values.storage.backend}: use bucket versioning/replication)`);
    options.log(`secrets: ${options.includeSecrets ? 'auth.jwt_secret and encryption_key written into the backup (secrets/secrets.json, mode 0600)' : 'named with a SHA-256 fingerprint only (pass --include-secrets to write them)'}`);
    options.log(`would write ${finalDir}${options.compress ? ' (gzip)' : ''}`);
    if (options.keep !== undefined) options.log(`would keep the newest ${options.keep} backup(s) in ${out}`);
    if (options.metricsFile) options.log(`would write metrics to ${options.metricsFile}`);
    return undefined;
  }

  mkdirSync(out, { recursive: true });
  const tmp = path.join(out, `.${name}.partial`);
  mkdirSync(tmp, { mode: 0o700 });
  const store = { compress: options.compress, jobs: Math.max(1, options.jobs), openWriter: options.openWriter };
  try {
    let files: ManifestFile[];
    let dirs: string[] | undefined;
    let toolMajor: number | undefined;
    if (method === 'physical') {
      const r = await backupPhysical(server.sql, tmp, { ...store, label: name });
      files = r.files;
      dirs = r.dirs;
    } else {
      const r = await backupLogical(server.sql, server.url, facts.major, tmp, store);
      files = r.files;
      toolMajor = r.toolMajor;
    }
    const storageFiles = storageLocal ? await backupStorage(values.storage.local_path!, tmp, store) : [];
    files.push(...storageFiles);
    if (options.includeSecrets) {
      const text = `${JSON.stringify({ jwt_secret: secrets.jwt_secret, encryption_key: secrets.encryption_key }, null, 2)}\n`;
      const f = await storeFile(Readable.from([Buffer.from(text)]), tmp, SECRETS_FILE, { ...store, compress: false });
      files.push(f!);
    }
    files.sort((a, b) => a.path.localeCompare(b.path));
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      fluxbase_version: options.fluxbaseVersion,
      method,
      created_at: createdAt.toISOString(),
      migration_version: facts.migration,
      postgres_version: facts.version,
      postgres_major: facts.major,
      ...(toolMajor !== undefined ? { dump_tool_major: toolMajor } : {}),
      database_name: facts.database,
      compressed: options.compress,
      ...(dirs ? { dirs } : {}),
      storage: storageLocal
        ? { backend: 'local', objects: storageFiles.length }
        : { backend: values.storage.backend, objects: 0, note: values.storage.enabled ? 'S3 objects are not copied: protect the bucket with versioning and replication (docs/backup-restore.md)' : 'storage disabled' },
      secrets: secretEntries(secrets, options.includeSecrets),
      files,
      size_bytes: files.reduce((n, f) => n + f.size, 0),
    };
    // Written last: a directory without a manifest is never taken for a complete backup.
    writeFileSync(path.join(tmp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, finalDir);
    const deleted = options.keep !== undefined ? applyRetention(out, options.keep) : [];
    if (options.metricsFile) {
      writeBackupMetrics(options.metricsFile, {
        finishedAt: now(), sizeBytes: manifest.size_bytes, method,
        durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
    }
    return { dir: finalDir, manifest, deleted };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC' || e.code === 'EDQUOT') {
      throw new CliError(`no space left in ${out} while writing the backup: free space or choose another --out (the partial backup was removed; the database was not changed)`);
    }
    if (err instanceof CliError) throw new CliError(`${err.message} (the partial backup was removed)`);
    throw err;
  }
}
