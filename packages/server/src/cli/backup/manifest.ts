// The manifest of a backup (`manifest.json` at its root): what was backed up, by which
// method and versions, every file with its SHA-256 and size (as stored, i.e. compressed),
// and the secrets a restore needs, by name and fingerprint only unless --include-secrets.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../context.ts';

/** Bumped when a backup's layout changes so that an older binary cannot read it. */
export const MANIFEST_FORMAT = 1;
export const MANIFEST_FILE = 'manifest.json';

export type BackupMethod = 'physical' | 'logical';

export interface ManifestFile {
  /** Path inside the backup, '/'-separated. */
  path: string;
  sha256: string;
  size: number;
}

export interface ManifestSecret {
  /** The configuration key (auth.jwt_secret, encryption_key). */
  name: string;
  /** SHA-256 of the value, to check that the restore target has the same one; null when it could not be read. */
  sha256: string | null;
  /** Whether the value is in secrets/secrets.json of the backup. */
  included: boolean;
}

export interface Manifest {
  format: number;
  fluxbase_version: string;
  method: BackupMethod;
  created_at: string;
  /** Highest of Fluxbase's own migrations applied in the backed-up database. */
  migration_version: number;
  postgres_version: string;
  /** Major version of the server (physical restores need the same major's binaries). */
  postgres_major: number;
  /** Logical: the pg_dump major that wrote the dump (pg_restore must be at least that). */
  dump_tool_major?: number;
  database_name: string;
  compressed: boolean;
  /** Physical: directories to recreate empty (pg_wal, pg_notify, ...). */
  dirs?: string[];
  storage: { backend: 'local' | 's3'; objects: number; note?: string };
  secrets: ManifestSecret[];
  files: ManifestFile[];
  /** Total stored bytes of `files`. */
  size_bytes: number;
}

export const sha256Hex = (value: string | Buffer): string => createHash('sha256').update(value).digest('hex');

/** Read and check the shape of `<backup>/manifest.json`; every problem names the backup. */
export function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT'
      ? `${dir} is not a complete Fluxbase backup: ${MANIFEST_FILE} is missing (an interrupted backup never has one; use another backup)`
      : `cannot read ${file}: ${(err as Error).message}`);
  }
  let m: Partial<Manifest>;
  try {
    m = JSON.parse(text) as Partial<Manifest>;
  } catch {
    throw new CliError(`${file} is not valid JSON: the backup is corrupt or truncated; use another backup`);
  }
  if (typeof m.format !== 'number' || !Array.isArray(m.files) || (m.method !== 'physical' && m.method !== 'logical') || typeof m.migration_version !== 'number') {
    throw new CliError(`${file} is not a Fluxbase backup manifest (missing format, method, migration_version or files): the backup is corrupt; use another backup`);
  }
  if (m.format > MANIFEST_FORMAT) {
    throw new CliError(`${dir} was written by a newer Fluxbase (backup format ${m.format}, this one reads up to ${MANIFEST_FORMAT}): upgrade Fluxbase to ${m.fluxbase_version ?? 'that version'} or later to restore it`);
  }
  return m as Manifest;
}

/** Refuse a backup whose schema is newer than the migrations this binary ships. */
export function checkMigrationVersion(manifest: Manifest, shippedMax: number): void {
  if (manifest.migration_version > shippedMax) {
    throw new CliError(
      `the backup's database is at Fluxbase migration ${manifest.migration_version} (written by Fluxbase ${manifest.fluxbase_version}), ` +
        `newer than this Fluxbase knows (up to ${shippedMax}): upgrade Fluxbase to ${manifest.fluxbase_version} or later, then restore`,
    );
  }
}
