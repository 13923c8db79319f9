// Bringing files of a backup back out: the cluster of a physical backup into a data
// directory (with the empty directories PostgreSQL expects), storage objects into a folder.
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { extractFile, mapLimit } from './file-copy.ts';
import type { Manifest } from './manifest.ts';
import { CLUSTER_PREFIX, recreateDirs } from './physical.ts';

/** Extract the files of `manifest` under `prefix/` into `dest`. */
export async function extractTree(backupDir: string, manifest: Manifest, prefix: string, dest: string, jobs: number): Promise<number> {
  const files = manifest.files.filter((f) => f.path.startsWith(`${prefix}/`));
  mkdirSync(dest, { recursive: true, mode: 0o700 });
  await mapLimit(files, jobs, async (f) => {
    let rel = f.path.slice(prefix.length + 1);
    if (manifest.compressed && rel.endsWith('.gz')) rel = rel.slice(0, -3);
    await extractFile(path.join(backupDir, f.path), path.join(dest, rel), manifest.compressed);
  });
  return files.length;
}

export async function materialiseCluster(backupDir: string, manifest: Manifest, dest: string, jobs: number): Promise<void> {
  await extractTree(backupDir, manifest, CLUSTER_PREFIX, dest, jobs);
  recreateDirs(dest, manifest.dirs ?? []);
  chmodSync(dest, 0o700);
}
