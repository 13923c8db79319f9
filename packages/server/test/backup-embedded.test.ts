// Backup and restore of the embedded database (docs/backup-restore.md): a physical backup
// (low-level base-backup API + WAL) taken while the server runs, the data dir destroyed,
// `fluxbase restore` into it, and the restarted server serves the same user, RLS-protected
// rows, storage object, function and job, with the same secrets (--include-secrets).
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BACKUP_METRIC_NAMES } from '../src/cli/backup/metrics-file.ts';
import { embeddedClusterInfo } from '../src/db/index.ts';
import { expectServed, fluxbaseCli, seed, type Seeded } from './harness/backup.ts';
import { spawnServer, type ChildServer } from './harness/child-server.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

let root: string;
let dataDir: string;
let out: string;
let server: ChildServer | undefined;
let seeded: Seeded;
let keysBefore: ChildServer['keys'];
let backupDir: string;

const env = () => ({ FLUXBASE_DATA_DIR: dataDir, FLUXBASE_FUNCTIONS_DIR: path.join(root, 'no-functions'), FLUXBASE_JOBS_DIR: path.join(root, 'no-jobs'), FLUXBASE_RATE_LIMIT_ENABLED: 'false' });

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-backup-embedded-'));
  chmodSync(root, 0o755); // so the cluster lives in <data_dir>/postgres, and destroying the data dir destroys it
  dataDir = path.join(root, 'data');
  out = path.join(root, 'backups');
  server = await spawnServer(env());
  keysBefore = server.keys;
  seeded = await seed(server, embeddedClusterInfo(dataDir).url!);
});

afterAll(async () => {
  await server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('embedded database: physical backup, destroy, restore', () => {
  it('backs up while the server runs, with secrets, metrics and a complete manifest', async () => {
    const metrics = path.join(root, 'fluxbase_backup.prom');
    const r = await fluxbaseCli(['backup', '--out', out, '--include-secrets', '--metrics-file', metrics, '--jobs', '2'], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/backup written: .*fluxbase-\d{8}T\d{9}Z-physical \(physical, \d+ files/);
    const names = readdirSync(out);
    expect(names).toHaveLength(1);
    backupDir = path.join(out, names[0]!);
    const manifest = JSON.parse(readFileSync(path.join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 1, method: 'physical', postgres_major: 17, compressed: true, storage: { backend: 'local', objects: 1 } });
    expect(manifest.migration_version).toBeGreaterThan(0);
    expect(manifest.secrets.map((s: { name: string; included: boolean }) => [s.name, s.included])).toEqual([['auth.jwt_secret', true], ['encryption_key', true]]);
    expect(manifest.files.some((f: { path: string }) => f.path === 'database/data/backup_label.gz')).toBe(true);
    expect(manifest.files.some((f: { path: string }) => /^database\/data\/pg_wal\/[0-9A-F]{24}\.gz$/.test(f.path))).toBe(true);
    expect(manifest.files.some((f: { path: string }) => f.path.startsWith('database/data/postmaster.pid'))).toBe(false);
    const prom = readFileSync(metrics, 'utf8');
    for (const name of BACKUP_METRIC_NAMES) expect(prom).toMatch(new RegExp(`^${name}\\{method="physical"\\} \\d`, 'm'));
  });

  it('verifies the backup deeply (a temporary copy starts) and lists it as verified', async () => {
    const v = await fluxbaseCli(['backup', 'verify', backupDir, '--deep'], env());
    expect(v.stderr).toBe('');
    expect(v.stdout).toContain('reached a consistent state');
    const list = await fluxbaseCli(['backup', 'list', '--out', out, '--json'], env());
    const rows = JSON.parse(list.stdout);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ method: 'physical', verified: expect.any(String) });
  });

  it('restores into the destroyed data dir, and the server serves everything as before', async () => {
    // A change after the backup must not survive the restore.
    const sql = postgres(embeddedClusterInfo(dataDir).url!, { max: 1, onnotice: () => {} });
    await sql`insert into public.notes values (3, ${seeded.userId}, 'after the backup')`;
    await sql.end();
    await server!.stop();
    server = undefined;
    rmSync(dataDir, { recursive: true, force: true });

    const dry = await fluxbaseCli(['restore', backupDir, '--dry-run'], env());
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would restore the physical backup');
    expect(existsSync(dataDir)).toBe(false);

    const r = await fluxbaseCli(['restore', backupDir], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('restore complete');

    server = await spawnServer(env());
    expect(server.keys).toEqual(keysBefore); // same auth.jwt_secret
    await expectServed(server, seeded);
    const check = postgres(embeddedClusterInfo(dataDir).url!, { max: 1, onnotice: () => {} });
    const rows = await check`select id from public.notes order by id`;
    await check.end();
    expect(rows.map((x) => x.id)).toEqual([1, 2]);
  });
});
