// `fluxbase backup verify`: every file of the manifest present with its size and SHA-256;
// for a logical backup the dump's table of contents reads (pg_restore --list); with
// --deep a physical backup is restored into a temporary directory and started, which
// proves it reaches a consistent state. A restore runs the same file check first.
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../context.ts';
import { withClusterRunning } from './cluster-check.ts';
import { hashFile, mapLimit } from './file-copy.ts';
import { DUMP_PREFIX, listDump } from './logical.ts';
import { readManifest, type Manifest } from './manifest.ts';
import { reachableParent } from './os-user.ts';
import { materialiseCluster } from './restore-files.ts';

export const VERIFIED_FILE = '.verified';

/** What is wrong with the files of a backup (empty when nothing is). */
export async function checkFiles(dir: string, manifest: Manifest, jobs: number): Promise<string[]> {
  const problems = await mapLimit(manifest.files, jobs, async (f) => {
    const file = path.join(dir, f.path);
    if (!existsSync(file)) return `${f.path}: missing`;
    const size = statSync(file).size;
    if (size !== f.size) return `${f.path}: ${size} bytes, the manifest says ${f.size} (truncated or altered)`;
    const { sha256 } = await hashFile(file);
    return sha256 === f.sha256 ? undefined : `${f.path}: checksum mismatch (corrupt)`;
  });
  return problems.filter((p): p is string => p !== undefined);
}

export function describeProblems(problems: string[]): string {
  return `${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}`;
}

export interface VerifyResult {
  manifest: Manifest;
  checks: string[];
}

export async function verifyBackup(dir: string, options: { deep: boolean; jobs: number }): Promise<VerifyResult> {
  const manifest = readManifest(dir);
  const problems = await checkFiles(dir, manifest, options.jobs);
  if (problems.length > 0) throw new CliError(`${dir} is corrupt or incomplete: ${describeProblems(problems)}`);
  const checks = [`${manifest.files.length} files match their checksums (${manifest.size_bytes} bytes)`];
  if (manifest.method === 'logical') {
    const entries = await listDump(manifest.dump_tool_major ?? manifest.postgres_major, path.join(dir, DUMP_PREFIX));
    checks.push(`the dump's table of contents reads (${entries} entries)`);
  } else if (options.deep) {
    const scratch = mkdtempSync(path.join(reachableParent(path.dirname(path.resolve(dir))), '.fluxbase-verify-'));
    chmodSync(scratch, 0o755);
    try {
      const cluster = path.join(scratch, 'postgres');
      await materialiseCluster(dir, manifest, cluster, options.jobs);
      const tables = await withClusterRunning(cluster, manifest.postgres_major, async (_sql, urlFor) => {
        const { default: postgres } = await import('postgres');
        const db = postgres(urlFor(manifest.database_name), { max: 1, onnotice: () => {} });
        try {
          const [row] = await db<{ n: number; v: number }[]>`select (select count(*)::int from pg_tables where schemaname not in ('pg_catalog', 'information_schema')) as n,
            (select coalesce(max(version), 0)::int from fluxbase.schema_migrations) as v`;
          if (row!.v !== manifest.migration_version) throw new CliError(`the restored database is at migration ${row!.v}, the manifest says ${manifest.migration_version}`);
          return row!.n;
        } finally {
          await db.end({ timeout: 5 });
        }
      });
      checks.push(`a temporary copy started and reached a consistent state (${tables} tables, migration ${manifest.migration_version})`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  writeFileSync(path.join(dir, VERIFIED_FILE), `${JSON.stringify({ at: new Date().toISOString(), deep: options.deep || manifest.method === 'logical' })}\n`);
  return { manifest, checks };
}
