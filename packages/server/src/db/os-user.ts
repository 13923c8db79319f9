// PostgreSQL refuses to run as root. When this process is root, every postgres it starts (the
// embedded database, a restored cluster checked before it is put in place) runs as the
// unprivileged `postgres` OS user, which must be able to reach the cluster's directory. Shared
// by embedded.ts and the backup commands (cli/backup/), so both find the cluster in one place.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

export interface PgUser {
  uid: number;
  gid: number;
  name: string;
}

/** Where a cluster goes when its data dir is not reachable by the postgres user (e.g. under /root). */
export const REUSABLE_ROOT = '/var/lib/fluxbase';

/** The `postgres` OS user, or undefined when there is none. */
export function lookupPostgresUser(): PgUser | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid, name: 'postgres' };
  } catch {
    return undefined;
  }
}

/** Whether `user` can traverse every existing directory from / down to `target` (inclusive). */
export function reachableBy(target: string, user: Pick<PgUser, 'uid' | 'gid'>): boolean {
  let dir = path.resolve(target);
  for (;;) {
    if (existsSync(dir)) {
      const st = statSync(dir);
      const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
      if ((st.mode & bit) === 0) return false;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return true;
    dir = parent;
  }
}

/** The reachable location of the cluster of a data dir the postgres user cannot reach. */
export function fallbackClusterDir(dataDir: string): string {
  const hash = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
  return path.join(REUSABLE_ROOT, `cluster-${hash}`, 'postgres');
}
