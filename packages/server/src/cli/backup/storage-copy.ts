// Storage objects of the local backend are files under storage.local_path: copied into
// `storage/` of a backup and back. S3 objects are not copied (a bucket is backed up with
// S3 versioning and replication; docs/backup-restore.md).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { mapLimit, storeFile, walk, type StoreOptions } from './file-copy.ts';
import type { ManifestFile } from './manifest.ts';

export const STORAGE_PREFIX = 'storage';

export async function backupStorage(localPath: string, backupDir: string, options: StoreOptions & { jobs: number }): Promise<ManifestFile[]> {
  if (!existsSync(localPath)) return [];
  const { files } = walk(localPath);
  const stored = await mapLimit(files, options.jobs, (rel) => storeFile(path.join(localPath, rel), backupDir, path.join(STORAGE_PREFIX, rel), options));
  return stored.filter((f): f is ManifestFile => f !== undefined);
}

/** Whether a directory exists and has anything in it. */
export function nonEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}
