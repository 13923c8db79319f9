// Backup and restore of a 1 GB database (issue 19, docs/backup-restore.md): reported, not
// compared (no baseline does the same work). `fluxbase serve` on the embedded database in a
// fresh data dir; a table is filled until the database holds BENCH_BACKUP_GB (1) GiB; then,
// with the CLI as an operator runs it: `fluxbase backup --include-secrets` while the server
// serves (physical: the low-level base-backup API and its WAL), `backup verify`, the server
// stopped, `fluxbase restore --target-data-dir <new>`, and the server started on the restored
// data dir, whose row count must equal the original's.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { REPO_ROOT, stopChild } from './lib/child.ts';
import type { Benchmark, Row } from './lib/types.ts';
import { freePort, startFluxbase } from './startup.ts';

const BIN = path.join(REPO_ROOT, 'packages', 'server', 'bin', 'fluxbase.js');
const TARGET_BYTES = Number(process.env.BENCH_BACKUP_GB ?? '1') * 1024 ** 3;

function cli(args: string[], dataDir: string): Promise<{ stdout: string; ms: number }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FLUXBASE_') && k !== 'DATABASE_URL') env[k] = v;
  Object.assign(env, { FLUXBASE_DATA_DIR: dataDir, FLUXBASE_LOGGING_LEVEL: 'warn' });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`fluxbase ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve({ stdout, ms: performance.now() - t0 });
    });
  });
}

function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

const MB = 1024 * 1024;

export const benchmarks: Benchmark[] = [{
  name: 'backup-1gb',
  group: 'backup',
  description: 'B1: backup, verify and restore of a 1 GB embedded database with the CLI (time and size)',
  needsDatabase: false,
  async run(ctx) {
    const root = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-bench-backup-'));
    const source = path.join(root, 'source');
    const restored = path.join(root, 'restored');
    const out = path.join(root, 'backups');
    try {
      const port = await freePort();
      let server = await startFluxbase(source, port, 180_000);
      const ownerUrl = (await cli(['db', 'url'], source)).stdout.trim();
      const sql = postgres(ownerUrl, { max: 1, onnotice: () => {} });
      let rows = 0;
      let dbBytes = 0;
      const seedStart = performance.now();
      try {
        await sql`create table public.bench_backup (id bigint primary key, payload text not null)`;
        // ~300 bytes a row on disk with its index entry (hex text: it compresses as real data roughly
        // does, unlike a repeated character): batches of 200,000 until the size is reached.
        while (dbBytes < TARGET_BYTES) {
          await sql`insert into public.bench_backup select g, md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text) || md5((g + 3)::text) || md5((g + 4)::text) || md5(random()::text) || md5(random()::text) from generate_series(${rows + 1}::bigint, ${rows + 200_000}::bigint) g`;
          rows += 200_000;
          const [s] = await sql<{ n: string }[]>`select pg_database_size(current_database())::text as n`;
          dbBytes = Number(s!.n);
        }
        await sql`checkpoint`;
      } finally {
        await sql.end();
      }
      ctx.log(`backup-1gb: ${rows.toLocaleString('en-US')} rows, database ${Math.round(dbBytes / MB)} MB, seeded in ${Math.round((performance.now() - seedStart) / 1000)} s`);

      const backup = await cli(['backup', '--out', out, '--include-secrets', '--jobs', '2'], source);
      const dir = path.join(out, readdirSync(out).find((n) => n.startsWith('fluxbase-'))!);
      const backupBytes = sizeOf(dir);
      ctx.log(`backup-1gb: backup ${Math.round(backup.ms)} ms, ${Math.round(backupBytes / MB)} MB (${dir})`);
      const verify = await cli(['backup', 'verify', dir, '--jobs', '2'], source);
      ctx.log(`backup-1gb: verify ${Math.round(verify.ms)} ms`);
      await stopChild(server.child);

      const restore = await cli(['restore', dir, '--target-data-dir', restored, '--jobs', '2'], restored);
      ctx.log(`backup-1gb: restore ${Math.round(restore.ms)} ms`);
      server = await startFluxbase(restored, port, 180_000);
      const check = postgres((await cli(['db', 'url'], restored)).stdout.trim(), { max: 1, onnotice: () => {} });
      try {
        const [c] = await check<{ n: string }[]>`select count(*)::text as n from public.bench_backup`;
        if (Number(c!.n) !== rows) throw new Error(`restored ${c!.n} rows, backed up ${rows}`);
      } finally {
        await check.end();
        await stopChild(server.child);
      }
      const result: Row[] = [
        { kind: 'measure', bench: 'backup-1gb', metric: 'database size', value: dbBytes / MB, unit: 'MB', detail: `${rows.toLocaleString('en-US')} rows` },
        { kind: 'measure', bench: 'backup-1gb', metric: 'backup (physical, gzip, 2 jobs, server serving)', value: backup.ms / 1000, unit: 's' },
        { kind: 'measure', bench: 'backup-1gb', metric: 'backup size on disk', value: backupBytes / MB, unit: 'MB', detail: `${(100 * backupBytes / dbBytes).toFixed(0)}% of the database` },
        { kind: 'measure', bench: 'backup-1gb', metric: 'backup verify (checksums)', value: verify.ms / 1000, unit: 's' },
        { kind: 'measure', bench: 'backup-1gb', metric: 'restore (into a new data dir, WAL replayed)', value: restore.ms / 1000, unit: 's' },
        { kind: 'measure', bench: 'backup-1gb', metric: 'start on the restored data dir to /ready', value: server.ms / 1000, unit: 's', detail: 'row count checked' },
      ];
      return result;
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
}];
