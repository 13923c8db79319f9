// Backups in an output directory: complete ones are `fluxbase-<UTC timestamp>-<method>/`
// with a manifest.json (a backup in progress has a dotted temporary name and no manifest
// yet). Retention keeps the newest N complete ones.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE } from './manifest.ts';

export const BACKUP_NAME = /^fluxbase-(\d{8}T\d{6}(?:\d{3})?Z)-(physical|logical)$/;

/** `fluxbase-20261207T064700123Z-physical` for a time and method. */
export function backupName(at: Date, method: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `fluxbase-${stamp}-${method}`;
}

/** Complete backups in `dir`, oldest first. */
export function completeBackups(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => BACKUP_NAME.test(n) && existsSync(path.join(dir, n, MANIFEST_FILE)))
    .sort();
}

/** Delete all but the newest `keep` complete backups; returns the names deleted. */
export function applyRetention(dir: string, keep: number): string[] {
  const all = completeBackups(dir);
  const doomed = all.slice(0, Math.max(0, all.length - keep));
  for (const name of doomed) rmSync(path.join(dir, name), { recursive: true, force: true });
  return doomed;
}
