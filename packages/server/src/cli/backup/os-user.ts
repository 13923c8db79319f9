// PostgreSQL refuses to run as root, so when this process is root every postgres we start
// (a restored cluster checked before it is put in place, a throwaway for `verify --deep`)
// runs as the unprivileged `postgres` OS user, as the embedded database does (db/embedded.ts
// creates that user on the first start; a data dir to back up implies it exists). The user
// lookup and the cluster's location are db/os-user.ts's, shared with the embedded database.
import { chownSync, lstatSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fallbackClusterDir, lookupPostgresUser, reachableBy, type PgUser } from '../../db/index.ts';

export type OsUser = Pick<PgUser, 'uid' | 'gid'>;

/** The `postgres` OS user when we are root, undefined when we are not (then postgres runs as us). */
export function postgresOsUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = lookupPostgresUser();
  if (!user) throw new Error('running as root needs the unprivileged "postgres" OS user to run PostgreSQL: create it (useradd --system --user-group postgres) or run as another user');
  return user;
}

/** chown -R, without following symlinks. */
export function chownTree(dir: string, user: OsUser): void {
  chownSync(dir, user.uid, user.gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, user);
    else if (!lstatSync(p).isSymbolicLink()) chownSync(p, user.uid, user.gid);
  }
}

/** Where db/embedded.ts keeps the cluster of a data dir (the same rule: db/os-user.ts). */
export function reachableClusterDir(dataDir: string): string {
  const user = postgresOsUser();
  const inside = path.join(dataDir, 'postgres');
  return !user || reachableBy(dataDir, user) ? inside : fallbackClusterDir(dataDir);
}

/** A parent for a temporary cluster: `preferred` when the postgres user can reach it, else the system temp dir. */
export function reachableParent(preferred: string): string {
  const user = postgresOsUser();
  return !user || reachableBy(preferred, user) ? preferred : os.tmpdir();
}
