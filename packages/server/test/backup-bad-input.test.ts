// What `fluxbase backup` and `fluxbase restore` do with bad input (docs/backup-restore.md):
// a corrupt, truncated or interrupted backup, one from a newer schema or format, a
// non-empty or running target without --force, secrets that do not match, a backup whose
// database cannot reach consistency, and a full disk (a failing writer and a 1 MB tmpfs).
// Each fails with one line naming the fix, restores nothing half-way, and leaves the
// source untouched. Logical-restore cases run in backup-external.test.ts (they need PG 15).
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBackup } from '../src/cli/backup/create.ts';
import { loadConfig } from '../src/config/index.ts';
import { loadMigrations, migrateUp, startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/index.ts';
import { createLogger } from '../src/observability/index.ts';
import { fluxbaseCli } from './harness/backup.ts';
import { cleanEnv } from './harness/child-server.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let root: string;
let dataDir: string;
let embedded: EmbeddedPostgres;
let backupDir: string;
let tmpfs: string | undefined;
const SECRETS = { jwt_secret: 'bad-input-test-jwt-secret-0123456789abcdefgh', encryption_key: 'ab'.repeat(32) };
const env = (extra: Record<string, string> = {}) => ({ FLUXBASE_DATA_DIR: dataDir, ...extra });

/** Run scripts/<name> with the CLI from this checkout. */
function runScript(name: string, args: string[], extra: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = path.resolve(import.meta.dirname, '../../../scripts', name);
  const bin = path.resolve(import.meta.dirname, '../bin/fluxbase.js');
  return new Promise((resolve) => {
    execFile('bash', [script, ...args], {
      env: { ...cleanEnv(), ...env(), FLUXBASE_LOGGING_LEVEL: 'warn', FLUXBASE: `${process.execPath} ${bin}`, FLUXBASE_PROJECT_DIR: os.tmpdir(), ...extra },
    }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }));
  });
}

/** A copy of the good backup to damage. */
function copyOfBackup(name: string): string {
  const dir = path.join(root, 'damaged', name);
  cpSync(backupDir, dir, { recursive: true });
  return dir;
}

function manifestOf(dir: string) {
  return JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
}

function writeManifest(dir: string, m: unknown): void {
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
}

/** Nothing of a restore is left in `target` (no cluster, no temporary directories). */
function expectUntouched(target: string): void {
  const left = existsSync(target) ? readdirSync(target) : [];
  expect(left.filter((n) => n.startsWith('postgres') || n.startsWith('storage'))).toEqual([]);
}

async function rowCount(): Promise<number> {
  const sql = postgres(embedded.url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from public.things`;
    return row!.n;
  } finally {
    await sql.end();
  }
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-backup-bad-'));
  chmodSync(root, 0o755);
  dataDir = path.join(root, 'data');
  mkdirSync(path.join(dataDir, 'storage', 'docs'), { recursive: true });
  writeFileSync(path.join(dataDir, 'storage', 'docs', 'a.txt'), 'hello');
  writeFileSync(path.join(dataDir, 'secrets.json'), JSON.stringify(SECRETS), { mode: 0o600 });
  embedded = await startEmbeddedPostgres({ dataDir, logger: createLogger({ level: 'warn', format: 'json' }) });
  const sql = postgres(embedded.url, { max: 1, onnotice: () => {} });
  await migrateUp(sql, loadMigrations());
  await sql`create table public.things (id int primary key)`;
  await sql`insert into public.things select generate_series(1, 100)`;
  await sql.end();
  const r = await fluxbaseCli(['backup', '--out', path.join(root, 'good')], env());
  expect(r.stderr).toBe('');
  backupDir = path.join(root, 'good', readdirSync(path.join(root, 'good'))[0]!);
  try {
    tmpfs = path.join(root, 'tiny');
    mkdirSync(tmpfs);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', tmpfs], { stdio: 'ignore' });
  } catch {
    tmpfs = undefined; // not root, or no mount namespace: the failing-writer case still runs
  }
});

afterAll(async () => {
  if (tmpfs) execFileSync('umount', [tmpfs], { stdio: 'ignore' });
  await embedded?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('restore refuses a damaged backup before touching anything', () => {
  const cases: { name: string; damage: (dir: string) => void; error: RegExp }[] = [
    {
      name: 'a corrupt file',
      damage: (dir) => {
        const f = manifestOf(dir).files.find((x: { path: string; size: number }) => x.path.startsWith('database/data/base/') && x.size > 100);
        const file = path.join(dir, f.path);
        const bytes = readFileSync(file);
        bytes[50] = bytes[50]! ^ 0xff;
        writeFileSync(file, bytes);
      },
      error: /is corrupt or incomplete, nothing was restored: database\/data\/base\/.*checksum mismatch \(corrupt\)/,
    },
    {
      name: 'a truncated file',
      damage: (dir) => {
        const f = manifestOf(dir).files.find((x: { path: string }) => x.path.startsWith('database/data/pg_wal/'));
        truncateSync(path.join(dir, f.path), 10);
      },
      error: /database\/data\/pg_wal\/.*: 10 bytes, the manifest says \d+ \(truncated or altered\)/,
    },
    {
      name: 'a missing file',
      damage: (dir) => rmSync(path.join(dir, 'storage'), { recursive: true }),
      error: /storage\/docs\/a\.txt\.gz: missing/,
    },
    {
      name: 'an interrupted backup (no manifest)',
      damage: (dir) => rmSync(path.join(dir, 'manifest.json')),
      error: /is not a complete Fluxbase backup: manifest\.json is missing/,
    },
    {
      name: 'a truncated manifest',
      damage: (dir) => truncateSync(path.join(dir, 'manifest.json'), 100),
      error: /manifest\.json is not valid JSON: the backup is corrupt or truncated/,
    },
    {
      name: 'a backup from a newer schema version',
      damage: (dir) => writeManifest(dir, { ...manifestOf(dir), migration_version: 999, fluxbase_version: '9.0.0' }),
      error: /at Fluxbase migration 999 \(written by Fluxbase 9\.0\.0\), newer than this Fluxbase knows \(up to \d+\): upgrade Fluxbase to 9\.0\.0 or later, then restore/,
    },
    {
      name: 'a backup in a newer format',
      damage: (dir) => writeManifest(dir, { ...manifestOf(dir), format: 7, fluxbase_version: '9.0.0' }),
      error: /written by a newer Fluxbase \(backup format 7, this one reads up to 1\): upgrade Fluxbase/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const dir = copyOfBackup(c.name.replace(/\W+/g, '-'));
      c.damage(dir);
      const target = path.join(root, 'targets', c.name.replace(/\W+/g, '-'));
      const r = await fluxbaseCli(['restore', dir, '--target-data-dir', target], env());
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(c.error);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expectUntouched(target);
      if (c.name.includes('corrupt') || c.name.includes('truncated file')) {
        const v = await fluxbaseCli(['backup', 'verify', dir], env());
        expect(v.code).toBe(1);
        expect(v.stderr).toMatch(/is corrupt or incomplete/);
      }
    });
  }

  it('a backup whose database cannot reach consistency (its WAL gone): nothing is put in place', async () => {
    const dir = copyOfBackup('no-wal');
    const m = manifestOf(dir);
    m.files = m.files.filter((f: { path: string }) => !f.path.startsWith('database/data/pg_wal/'));
    rmSync(path.join(dir, 'database', 'data', 'pg_wal'), { recursive: true });
    writeManifest(dir, m);
    const target = path.join(root, 'targets', 'no-wal');
    const r = await fluxbaseCli(['restore', dir, '--target-data-dir', target, '--force'], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fluxbase: the restored database does not start \(code 1/);
    expectUntouched(target);
    expect(existsSync(path.join(target, 'secrets.json'))).toBe(false);
  });
});

describe('restore refuses a target it would overwrite, and mismatched secrets', () => {
  it('a running database', async () => {
    const r = await fluxbaseCli(['restore', backupDir, '--force'], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a PostgreSQL server is running on .*: stop Fluxbase \(and that server\) first, then restore/);
    expect(await rowCount()).toBe(100);
  });

  it('a data dir that already holds a database, unless --force', async () => {
    const target = path.join(root, 'targets', 'occupied');
    mkdirSync(path.join(target, 'postgres'), { recursive: true });
    writeFileSync(path.join(target, 'postgres', 'PG_VERSION'), '17\n');
    writeFileSync(path.join(target, 'secrets.json'), JSON.stringify(SECRETS));
    const r = await fluxbaseCli(['restore', backupDir, '--target-data-dir', target], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already holds a database: pass --force to replace it, or restore into another data dir with --target-data-dir <dir>/);
    expect(readdirSync(path.join(target, 'postgres'))).toEqual(['PG_VERSION']);
  });

  it('a storage folder that is not empty, unless --force', async () => {
    const target = path.join(root, 'targets', 'storage-occupied');
    mkdirSync(path.join(target, 'storage'), { recursive: true });
    writeFileSync(path.join(target, 'storage', 'x'), 'x');
    writeFileSync(path.join(target, 'secrets.json'), JSON.stringify(SECRETS));
    const r = await fluxbaseCli(['restore', backupDir, '--target-data-dir', target], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the storage folder .* is not empty: pass --force to replace it, or --storage-dir <empty dir>/);
  });

  it('a target without the backup\'s secrets (backup made without --include-secrets), unless --force', async () => {
    const target = path.join(root, 'targets', 'no-secrets');
    const r = await fluxbaseCli(['restore', backupDir, '--target-data-dir', target], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the target's secrets do not match the backup's \(auth\.jwt_secret is not set, encryption_key is not set; .*or pass --force/);
    expectUntouched(target);
  });

  it('restores into a fresh data dir with the same secrets, and the source is untouched', async () => {
    const target = path.join(root, 'targets', 'fresh');
    mkdirSync(target, { recursive: true });
    writeFileSync(path.join(target, 'secrets.json'), JSON.stringify(SECRETS));
    const usage = await runScript('restore.sh', [], {});
    expect(usage.code).toBe(2);
    // scripts/restore.sh: a deep verification, then `fluxbase restore` with the other arguments
    const r = await runScript('restore.sh', [backupDir, '--target-data-dir', target], {});
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/reached a consistent state(.|\n)*restore complete/);
    expect(readFileSync(path.join(target, 'storage', 'docs', 'a.txt'), 'utf8')).toBe('hello');
    const copy = await startEmbeddedPostgres({ dataDir: target, logger: createLogger({ level: 'warn', format: 'json' }) });
    const sql = postgres(copy.url, { max: 1, onnotice: () => {} });
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from public.things`;
    await sql.end();
    await copy.stop();
    expect(row!.n).toBe(100);
    expect(await rowCount()).toBe(100);
  });
});

describe('backup with no space left', () => {
  it('a failing writer (ENOSPC): clear error, no partial backup, the source untouched', async () => {
    const out = path.join(root, 'full-disk');
    let written = 0;
    const openWriter = () => new Writable({
      write(chunk: Buffer, _enc, cb) {
        written += chunk.length;
        if (written > 256 * 1024) cb(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
        else cb();
      },
    });
    const values = loadConfig({ env: {}, overrides: { data_dir: dataDir } });
    const sql = postgres(embedded.url, { max: 2, onnotice: () => {} });
    try {
      await expect(createBackup(values, { url: embedded.url, sql, embedded: true }, {
        out, method: 'auto', jobs: 2, compress: true, includeSecrets: false, dryRun: false, fluxbaseVersion: 'test', openWriter, log: () => {},
      })).rejects.toThrow(/^no space left in .*full-disk while writing the backup: free space or choose another --out \(the partial backup was removed; the database was not changed\)$/);
      expect(readdirSync(out)).toEqual([]);
      const slots = await sql`select slot_name from pg_replication_slots where slot_name like 'fluxbase_backup_%'`;
      expect(slots).toEqual([]);
      // The server is not left in backup mode: a new backup can start and stop on another session.
      await sql`select pg_backup_start('probe', true)`;
    } finally {
      await sql.end();
    }
    expect(await rowCount()).toBe(100);
  });

  it('a 1 MB filesystem (tmpfs): clear error on the command line, nothing left behind', async (ctx) => {
    if (!tmpfs) ctx.skip(); // needs root and mount(8)
    const r = await fluxbaseCli(['backup', '--out', tmpfs!], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fluxbase: no space left in .*tiny while writing the backup: free space or choose another --out/);
    expect(readdirSync(tmpfs!)).toEqual([]);
    expect(await rowCount()).toBe(100);
  });
});

describe('extras: dry run, uncompressed backups, the cron script, the docs', () => {
  it('backup --dry-run says what it would do and writes nothing', async () => {
    const out = path.join(root, 'dry');
    const r = await fluxbaseCli(['backup', '--dry-run', '--out', out, '--keep', '2'], env());
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/would back up database postgres \(PostgreSQL 17\.\d+, Fluxbase migration \d+\) with the physical method/);
    expect(r.stdout).toContain('named with a SHA-256 fingerprint only');
    expect(existsSync(out)).toBe(false);
  });

  it('an uncompressed backup verifies deeply (a temporary copy starts)', async () => {
    const out = path.join(root, 'plain');
    const r = await fluxbaseCli(['backup', '--no-compress', '--jobs', '1', '--out', out], env());
    expect(r.stderr).toBe('');
    const dir = path.join(out, readdirSync(out)[0]!);
    expect(manifestOf(dir)).toMatchObject({ compressed: false });
    expect(existsSync(path.join(dir, 'storage', 'docs', 'a.txt'))).toBe(true);
    const v = await fluxbaseCli(['backup', 'verify', '--deep', dir], env());
    expect(v.stderr).toBe('');
    expect(v.stdout).toMatch(/a temporary copy started and reached a consistent state \(\d+ tables, migration \d+\)/);
  });

  it('scripts/backup.sh backs up, keeps KEEP backups, writes the metrics and verifies', async () => {
    const out = path.join(root, 'cron');
    const run = () => runScript('backup.sh', [], { KEEP: '1', BACKUP_DIR: out, METRICS_FILE: path.join(root, 'cron.prom'), BACKUP_LOCK: path.join(root, 'cron.lock') });
    const first = await run();
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/backup written: .*\n(.|\n)*verified\n$/);
    const second = await run();
    expect(second.stdout).toContain('deleted old backup');
    expect(readdirSync(out)).toHaveLength(1);
    expect(readFileSync(path.join(root, 'cron.prom'), 'utf8')).toMatch(/^fluxbase_backup_last_success_timestamp_seconds\{method="physical"\} \d+$/m);
  });

  it('docs/backup-restore.md documents every option of the commands', async () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../../../docs/backup-restore.md'), 'utf8');
    for (const cmd of [['backup', 'create'], ['backup', 'verify'], ['backup', 'list'], ['restore']]) {
      const help = await fluxbaseCli([...cmd, '--help'], env());
      const options = [...help.stdout.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!).filter((o) => o !== '--help');
      expect(options.length).toBeGreaterThan(0);
      for (const o of options) expect(doc, `${cmd.join(' ')} ${o}`).toMatch(new RegExp(`\`[^\`\\n]*${o}\\b`));
    }
  });
});

describe('usage errors', () => {
  it('exit 2 with the option named', async () => {
    const r = await fluxbaseCli(['backup', '--method', 'tarball'], env());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--method is auto, physical or logical (got tarball)');
    const k = await fluxbaseCli(['backup', '--keep', '0'], env());
    expect(k.code).toBe(2);
    expect(k.stderr).toContain('--keep takes a whole number of at least 1');
  });
});
