// Backup and restore of an external PostgreSQL (docs/backup-restore.md): Debian's
// PostgreSQL 15 server started by the test, a logical backup (pg_dump 15, directory
// format, parallel), the database and Fluxbase's roles dropped and the storage folder
// deleted, `fluxbase restore` recreating them, and the restarted server serving the same
// user, RLS-protected rows, storage object, function and job.
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmbeddedPostgres } from '../src/db/index.ts';
import { createLogger } from '../src/observability/index.ts';
import { expectServed, fluxbaseCli, seed, type Seeded } from './harness/backup.ts';
import { spawnServer, type ChildServer } from './harness/child-server.ts';
import { PG15_AVAILABLE, startPg15, type Pg15Cluster } from './harness/pg15.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

let root: string;
let pg: Pg15Cluster | undefined;
let server: ChildServer | undefined;
let seeded: Seeded;
let backupDir: string;

const env = () => ({
  FLUXBASE_DATABASE_URL: pg!.urlFor('app'),
  FLUXBASE_DATA_DIR: path.join(root, 'data'),
  FLUXBASE_AUTH_JWT_SECRET: 'external-backup-test-jwt-secret-0123456789abcdef',
  FLUXBASE_ENCRYPTION_KEY: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  FLUXBASE_FUNCTIONS_DIR: path.join(root, 'no-functions'),
  FLUXBASE_JOBS_DIR: path.join(root, 'no-jobs'),
  FLUXBASE_RATE_LIMIT_ENABLED: 'false',
});

beforeAll(async () => {
  if (!PG15_AVAILABLE) return;
  root = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-backup-external-'));
  chmodSync(root, 0o755); // the embedded cluster of one case stays inside it
  pg = await startPg15();
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  await admin`create database app`;
  await admin.end();
  server = await spawnServer(env());
  seeded = await seed(server, pg.urlFor('app'));
});

afterAll(async () => {
  await server?.stop();
  await pg?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('external PostgreSQL 15: logical backup, destroy, restore', () => {
  it.skipIf(!PG15_AVAILABLE)('backs up with pg_dump 15 (auto picks logical), in parallel', async () => {
    const out = path.join(root, 'backups');
    const r = await fluxbaseCli(['backup', '--out', out, '--jobs', '2', '--keep', '3'], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('secrets not included');
    backupDir = path.join(out, readdirSync(out)[0]!);
    const manifest = JSON.parse(readFileSync(path.join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ method: 'logical', postgres_major: 15, dump_tool_major: 15, database_name: 'app', storage: { objects: 1 } });
    expect(manifest.secrets.every((s: { included: boolean; sha256: string }) => !s.included && /^[0-9a-f]{64}$/.test(s.sha256))).toBe(true);
    const roles = JSON.parse(readFileSync(path.join(backupDir, 'database/roles.json'), 'utf8')).map((x: { rolname: string }) => x.rolname);
    expect(roles).toEqual(expect.arrayContaining(['anon', 'authenticated', 'service_role', 'fluxbase_authenticator']));
    const v = await fluxbaseCli(['backup', 'verify', backupDir], env());
    expect(v.stdout).toContain('table of contents reads');
  });

  it.skipIf(!PG15_AVAILABLE)('restores after the database, the roles and the storage folder are gone', async () => {
    await server!.stop();
    server = undefined;
    const admin = postgres(pg!.url, { max: 1, onnotice: () => {} });
    await admin`drop database app with (force)`;
    for (const role of ['fluxbase_authenticator', 'anon', 'authenticated', 'service_role']) await admin.unsafe(`drop role ${role}`);
    await admin.end();
    rmSync(path.join(root, 'data', 'storage'), { recursive: true, force: true });

    const r = await fluxbaseCli(['restore', backupDir, '--jobs', '2'], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('created role(s)');
    server = await spawnServer(env());
    await expectServed(server, seeded);
  });

  it.skipIf(!PG15_AVAILABLE)('restores into another named database, leaving the live one alone', async () => {
    const r = await fluxbaseCli(['restore', backupDir, '--target-database', 'app_copy', '--storage-dir', path.join(root, 'storage-copy')], env());
    expect(r.stderr).toBe('');
    const sql = postgres(pg!.urlFor('app_copy'), { max: 1, onnotice: () => {} });
    const rows = await sql`select id, body from public.notes order by id`;
    await sql.end();
    expect(rows.map((x) => x.id)).toEqual([1, 2]);
    const dbs = postgres(pg!.url, { max: 1, onnotice: () => {} });
    const names = (await dbs`select datname from pg_database where datname like 'app%' order by 1`).map((x) => x.datname);
    await dbs.end();
    expect(names).toEqual(['app', 'app_copy']); // no scratch or replaced database left behind
  });

  it.skipIf(!PG15_AVAILABLE)('refuses a non-empty target database without --force, and a connected one; replaces it with --force', async () => {
    const refused = await fluxbaseCli(['restore', backupDir, '--target-database', 'app_copy', '--storage-dir', path.join(root, 'storage-copy-2')], env());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^fluxbase: the database app_copy is not empty \(\d+ tables\): pass --force to replace it, or restore into another one with --target-database <name>\n$/);
    const busy = await fluxbaseCli(['restore', backupDir, '--force'], env()); // the server is connected to app
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/connection\(s\) are open to the database app: stop the Fluxbase server \(and other clients\) first, then restore/);
    const sql = postgres(pg!.urlFor('app_copy'), { max: 1, onnotice: () => {} });
    await sql`delete from public.notes`;
    await sql.end();
    const forced = await fluxbaseCli(['restore', backupDir, '--target-database', 'app_copy', '--storage-dir', path.join(root, 'storage-copy'), '--force'], env());
    expect(forced.stderr).toBe('');
    const again = postgres(pg!.urlFor('app_copy'), { max: 1, onnotice: () => {} });
    expect((await again`select count(*)::int as n from public.notes`)[0]!.n).toBe(2);
    await again.end();
  });

  it.skipIf(!PG15_AVAILABLE)('restores the PostgreSQL 15 dump into the embedded PostgreSQL 17 `postgres` database (an upgrade path)', async () => {
    const dataDir = path.join(root, 'embedded');
    const embedded = await startEmbeddedPostgres({ dataDir, logger: createLogger({ level: 'warn', format: 'json' }) });
    try {
      const { FLUXBASE_DATABASE_URL: _external, ...embeddedEnv } = env();
      const r = await fluxbaseCli(['restore', backupDir, '--target-database', 'postgres'], { ...embeddedEnv, FLUXBASE_DATA_DIR: dataDir });
      expect(r.stderr).toBe('');
      const sql = postgres(embedded.url, { max: 1, onnotice: () => {} });
      const rows = await sql`select id from public.notes order by id`;
      const [server17] = await sql<{ version: number }[]>`select current_setting('server_version_num')::int / 10000 as version`;
      await sql.end();
      expect(rows.map((x) => x.id)).toEqual([1, 2]);
      expect(server17!.version).toBe(17);
    } finally {
      await embedded.stop();
    }
  });

  it.skipIf(!PG15_AVAILABLE)('a dump that fails to restore (checksums right, data broken) leaves no database behind and the target as it was', async () => {
    const broken = path.join(root, 'broken');
    cpSync(backupDir, broken, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(broken, 'manifest.json'), 'utf8'));
    const data = manifest.files.filter((f: { path: string }) => /^database\/dump\/\d+\.dat\.gz$/.test(f.path)).sort((a: { size: number }, b: { size: number }) => b.size - a.size)[0];
    const bytes = gzipSync('this is not COPY data\tat all\n\\.\n');
    writeFileSync(path.join(broken, data.path), bytes);
    Object.assign(data, { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    writeFileSync(path.join(broken, 'manifest.json'), JSON.stringify(manifest));
    const r = await fluxbaseCli(['restore', broken, '--target-database', 'app_copy', '--storage-dir', path.join(root, 'storage-copy'), '--force'], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fluxbase: pg_restore failed: /);
    const dbs = postgres(pg!.url, { max: 1, onnotice: () => {} });
    const names = (await dbs`select datname from pg_database where datname like 'app%' order by 1`).map((x) => x.datname);
    await dbs.end();
    expect(names).toEqual(['app', 'app_copy']);
    const sql = postgres(pg!.urlFor('app_copy'), { max: 1, onnotice: () => {} });
    expect((await sql`select count(*)::int as n from public.notes`)[0]!.n).toBe(2);
    await sql.end();
  });
});
