// `fluxbase backup [create|verify|list]` and `fluxbase restore`: option parsing and
// wiring only; the work is in create.ts, verify.ts and restore.ts (docs/backup-restore.md).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations } from '../../db/index.ts';
import { cliLogger, EXIT, fail, loadCliValues, openOwnerDatabase } from '../context.ts';
import { table } from '../table.ts';
import { createBackup } from './create.ts';
import { withDatabase } from './logical.ts';
import { readManifest } from './manifest.ts';
import { restoreBackup } from './restore.ts';
import { completeBackups } from './retention.ts';
import { VERIFIED_FILE, verifyBackup } from './verify.ts';

interface CreateOpts {
  out?: string;
  method: string;
  jobs: string;
  compress: boolean;
  keep?: string;
  includeSecrets?: boolean;
  dryRun?: boolean;
  metricsFile?: string;
}

function positiveInt(value: string, option: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`fluxbase: ${option} takes a whole number of at least ${min} (got ${value})`);
    process.exit(EXIT.usage);
  }
  return n;
}

function usage(message: string): never {
  console.error(`fluxbase: ${message}`);
  process.exit(EXIT.usage);
}

const defaultOut = (dataDir: string) => path.join(dataDir, 'backups');

export function registerBackupCommand(program: Command, fluxbaseVersion: string): void {
  const backup = program.command('backup').description('back up the database, storage objects and the secrets\' names (docs/backup-restore.md)');

  backup
    .command('create', { isDefault: true })
    .description('write a backup directory fluxbase-<UTC time>-<method>/ (the default subcommand)')
    .option('--out <dir>', 'folder the backup is written into (default: <data_dir>/backups)')
    .option('--method <method>', 'auto, physical (base backup + WAL) or logical (pg_dump)', 'auto')
    .option('-j, --jobs <n>', 'files copied (or tables dumped) in parallel', '2')
    .option('--no-compress', 'store files uncompressed (default: gzip)')
    .option('--keep <n>', 'after success, delete all but the newest <n> backups in --out')
    .option('--include-secrets', 'write auth.jwt_secret and encryption_key into the backup (default: their names and fingerprints only)')
    .option('--dry-run', 'print what would be done and change nothing')
    .option('--metrics-file <path>', 'write a Prometheus textfile (node_exporter textfile collector) on success')
    .action(async (opts: CreateOpts) => {
      if (!['auto', 'physical', 'logical'].includes(opts.method)) usage(`--method is auto, physical or logical (got ${opts.method})`);
      const jobs = positiveInt(opts.jobs, '--jobs');
      const keep = opts.keep !== undefined ? positiveInt(opts.keep, '--keep') : undefined;
      try {
        const values = loadCliValues(program);
        const db = await openOwnerDatabase(values, cliLogger(values));
        try {
          const result = await createBackup(values, { url: db.url, sql: db.sql, embedded: !values.database.url }, {
            out: opts.out ?? defaultOut(values.data_dir), method: opts.method as 'auto', jobs, compress: opts.compress, keep,
            includeSecrets: opts.includeSecrets === true, dryRun: opts.dryRun === true, metricsFile: opts.metricsFile,
            fluxbaseVersion, log: (l) => console.log(l),
          });
          if (result) {
            const m = result.manifest;
            console.log(`backup written: ${result.dir} (${m.method}, ${m.files.length} files, ${m.size_bytes} bytes, migration ${m.migration_version}, ${m.storage.objects} storage object file(s))`);
            if (!m.secrets.some((s) => s.included)) console.log('secrets not included: keep auth.jwt_secret and encryption_key safe elsewhere (their fingerprints are in manifest.json)');
            for (const d of result.deleted) console.log(`deleted old backup ${d}`);
          }
        } finally {
          await db.close();
        }
      } catch (err) {
        fail(err);
      }
    });

  backup
    .command('verify')
    .description('check a backup: every file against its checksum; a logical dump\'s table of contents; --deep starts a physical one')
    .argument('<path>', 'backup directory')
    .option('--deep', 'physical: restore into a temporary directory and start it (slower)')
    .option('-j, --jobs <n>', 'files checked in parallel', '2')
    .action(async (dir: string, opts: { deep?: boolean; jobs: string }) => {
      try {
        const result = await verifyBackup(dir, { deep: opts.deep === true, jobs: positiveInt(opts.jobs, '--jobs') });
        for (const c of result.checks) console.log(`ok: ${c}`);
        console.log(`${dir}: verified`);
      } catch (err) {
        fail(err);
      }
    });

  backup
    .command('list')
    .description('list the complete backups in a folder')
    .option('--out <dir>', 'folder to list (default: <data_dir>/backups)')
    .option('--json', 'print JSON')
    .action((opts: { out?: string; json?: boolean }) => {
      try {
        const out = opts.out ?? defaultOut(loadCliValues(program).data_dir);
        const rows = completeBackups(out).map((name) => {
          const dir = path.join(out, name);
          try {
            const m = readManifest(dir);
            const verified = existsSync(path.join(dir, VERIFIED_FILE)) ? (JSON.parse(readFileSync(path.join(dir, VERIFIED_FILE), 'utf8')) as { at: string }).at : null;
            return { name, created_at: m.created_at, method: m.method, size_bytes: m.size_bytes, migration_version: m.migration_version, verified };
          } catch (err) {
            return { name, created_at: null, method: null, size_bytes: null, migration_version: null, verified: null, error: (err as Error).message };
          }
        });
        if (opts.json) {
          console.log(JSON.stringify(rows, null, 2));
          return;
        }
        if (rows.length === 0) {
          console.log(`no backups in ${out}`);
          return;
        }
        console.log(table(['name', 'created at', 'method', 'size', 'migration', 'verified'],
          rows.map((r) => [r.name, r.created_at ?? '(unreadable)', r.method ?? '', r.size_bytes === null ? '' : String(r.size_bytes), r.migration_version === null ? '' : String(r.migration_version), r.verified ?? 'no'])));
      } catch (err) {
        fail(err);
      }
    });

  program
    .command('restore')
    .description('restore a backup (all or nothing; refuses a non-empty target without --force)')
    .argument('<path>', 'backup directory')
    .option('--target-database <name>', 'logical: database to restore into, created if missing (default: the configured one)')
    .option('--target-data-dir <dir>', 'physical: Fluxbase data dir to restore into (default: data_dir)')
    .option('--storage-dir <dir>', 'where the local storage objects go (default: storage.local_path, or <target-data-dir>/storage)')
    .option('--force', 'replace a non-empty target, and restore even when the secrets differ')
    .option('--dry-run', 'check the backup and the target, print what would be done, change nothing')
    .option('-j, --jobs <n>', 'files (or tables) restored in parallel', '2')
    .action(async (dir: string, opts: { targetDatabase?: string; targetDataDir?: string; storageDir?: string; force?: boolean; dryRun?: boolean; jobs: string }) => {
      try {
        const values = loadCliValues(program);
        const shipped = Math.max(0, ...loadMigrations(DEFAULT_MIGRATIONS_DIR).map((m) => m.version));
        await restoreBackup(dir, values, {
          targetDatabase: opts.targetDatabase, targetDataDir: opts.targetDataDir, storageDir: opts.storageDir,
          force: opts.force === true, dryRun: opts.dryRun === true, jobs: positiveInt(opts.jobs, '--jobs'), shippedMigration: shipped,
          log: (l) => console.log(l),
        }, async () => {
          // Connect to the maintenance database: the target may not exist, and is renamed.
          if (values.database.url) {
            const db = await openOwnerDatabase({ ...values, database: { ...values.database, url: withDatabase(values.database.url, 'postgres') } }, cliLogger(values));
            return { url: db.url, sql: db.sql, close: db.close };
          }
          const db = await openOwnerDatabase(values, cliLogger(values));
          return { url: db.url, sql: db.sql, close: db.close };
        });
        if (!opts.dryRun) console.log('restore complete: start Fluxbase (fluxbase serve) on the restored data');
      } catch (err) {
        fail(err);
      }
    });
}
