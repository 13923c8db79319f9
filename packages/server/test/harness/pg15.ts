// A Debian PostgreSQL 15 cluster for tests of external-database behaviour (backup-external):
// initdb into a temp dir, postgres on a free port with password (SCRAM) logins, stopped by
// stop(). As root it runs as the `postgres` OS user, like the embedded database.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { chownTree, postgresOsUser } from '../../src/cli/backup/os-user.ts';
import { freePort } from './child-server.ts';

export const PG15_BIN = '/usr/lib/postgresql/15/bin';
export const PG15_AVAILABLE = existsSync(path.join(PG15_BIN, 'postgres')) && existsSync(path.join(PG15_BIN, 'pg_dump'));

export interface Pg15Cluster {
  /** Superuser URL of the `postgres` database. */
  url: string;
  urlFor(database: string): string;
  dir: string;
  stop(): Promise<void>;
}

export async function startPg15(): Promise<Pg15Cluster> {
  const user = postgresOsUser();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-pg15-'));
  chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  const password = 'pg15-test-password';
  writeFileSync(path.join(dir, 'pw'), `${password}\n`);
  if (user) chownTree(dir, user);
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  execFileSync(path.join(PG15_BIN, 'initdb'), [`--pgdata=${data}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${path.join(dir, 'pw')}`, '--encoding=UTF8', '--no-locale', '--no-sync'], { ...ids, env, stdio: 'ignore' });
  const port = await freePort();
  const child = spawn(path.join(PG15_BIN, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'], { ...ids, env, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const urlFor = (db: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${db}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const sql = postgres(urlFor('postgres'), { max: 1, connect_timeout: 2, onnotice: () => {} });
    const ok = await sql`select 1`.then(() => true, () => false);
    await sql.end({ timeout: 1 });
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('PostgreSQL 15 did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: urlFor('postgres'), urlFor, dir,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
