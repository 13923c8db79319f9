// The `fluxbase` command as a user runs it: serve on a fresh and then a warm embedded data
// dir, graceful stop on SIGTERM, keys, migrate, and the start-up failures that must name
// their fix.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { verifyJwt } from '../src/http/index.ts';
import { createTestDatabase, startTestApp, type TestDatabase } from './harness/index.ts';
import { testRoutes } from './harness/test-routes.ts';

// Each case spawns the CLI (TypeScript compiled on the fly): slow when the whole suite
// shares two cores, so these cases get more time than the default.
vi.setConfig({ testTimeout: 120_000 });

const BIN = fileURLToPath(new URL('../bin/fluxbase.js', import.meta.url));
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FLUXBASE_') && k !== 'DATABASE_URL'));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Served {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

async function serve(env: Record<string, string>, port: number, uid?: number, gid?: number): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...cleanEnv(), FLUXBASE_SERVER_PORT: String(port), FLUXBASE_LOGGING_FORMAT: 'json', ...env },
    cwd: os.tmpdir(), stdio: ['ignore', 'pipe', 'pipe'], ...(uid !== undefined ? { uid, gid } : {}),
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited early:\n${out}`);
    const ok = await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`serve not ready:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => out, exit };
}

function run(args: string[], env: Record<string, string>): { code: number; stdout: string; stderr: string } {
  return runIn(os.tmpdir(), args, env);
}

function runIn(cwd: string, args: string[], env: Record<string, string>): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [BIN, ...args], { env: { ...cleanEnv(), ...env }, cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

const dirs: string[] = [];
const dbs: TestDatabase[] = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const d of dbs) await d.drop();
});

describe('fluxbase serve on the embedded database', () => {
  it('initialises a fresh data dir, prints URL and keys, stops cleanly, and reuses the data dir', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-cli-'));
    dirs.push(dataDir);
    const port = await freePort();
    const first = await serve({ FLUXBASE_DATA_DIR: dataDir }, port);
    const lines = first.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, string>);
    const banner = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('Fluxbase is ready at'))!;
    expect(banner).toMatchObject({ url: `http://localhost:${port}`, data_dir: dataDir, database: 'embedded' });
    expect(first.output()).toContain('initialising embedded PostgreSQL');
    expect(first.output()).toContain('development secrets generated');
    const secrets = JSON.parse(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as { jwt_secret: string };
    expect(statSync(path.join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    for (const [key, role] of [[banner.anon_key, 'anon'], [banner.service_role_key, 'service_role']] as const) {
      const v = verifyJwt(key!, { secret: secrets.jwt_secret, leewaySeconds: 30 });
      expect(v.ok && v.claims.role).toBe(role);
    }
    const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
    expect(existsSync(pidFile)).toBe(true);
    // `fluxbase keys` in that data dir prints the very keys of the banner.
    const printed = JSON.parse(run(['keys', '--json'], { FLUXBASE_DATA_DIR: dataDir }).stdout) as { anon: string; service_role: string };
    expect(printed).toMatchObject({ anon: banner.anon_key, service_role: banner.service_role_key });

    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(first.output()).toContain('SIGTERM received');
    expect(first.output()).toContain('embedded PostgreSQL stopped');
    expect(existsSync(pidFile)).toBe(false);

    const second = await serve({ FLUXBASE_DATA_DIR: dataDir }, port);
    expect(second.output()).not.toContain('initialising embedded PostgreSQL');
    expect(second.output()).not.toContain('development secrets generated');
    const secondBanner = second.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, string>)
      .find((l) => typeof l.msg === 'string' && l.msg.startsWith('Fluxbase is ready at'))!;
    expect(secondBanner.anon_key, 'the same keys on every start for the same secret').toBe(banner.anon_key);
    expect(secondBanner.service_role_key).toBe(banner.service_role_key);
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(((await res.json()) as { status: string }).status).toBe('ok');
    second.child.kill('SIGINT');
    expect(await second.exit).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
  });

  const isRoot = process.getuid?.() === 0;
  const nobody = isRoot ? Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim()) : -1;
  const nogroup = isRoot ? Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim()) : -1;
  // A checkout under a directory `nobody` cannot enter (e.g. /root) cannot be run by any normal user.
  const nobodyCanReach = isRoot && (() => {
    try {
      execFileSync('setpriv', ['--reuid', String(nobody), '--regid', String(nogroup), '--clear-groups', 'test', '-r', BIN]);
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!isRoot || !nobodyCanReach)(
    `runs as an unprivileged user too${!isRoot ? ' (skipped: the tests do not run as root, so every other test ran that path)' : !nobodyCanReach ? ' (skipped: user nobody cannot reach this checkout)' : ''}`,
    async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-nobody-'));
    dirs.push(dataDir);
    chownSync(dataDir, nobody, nogroup);
    const port = await freePort();
    const s = await serve({ FLUXBASE_DATA_DIR: dataDir, HOME: dataDir }, port, nobody, nogroup);
    expect(s.output()).toContain('Fluxbase is ready at');
    expect(statSync(path.join(dataDir, 'postgres')).uid).toBe(nobody);
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    },
  );
});

describe('graceful stop', () => {
  it('finishes in-flight requests and refuses new ones', async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    const app = await startTestApp(db.url, { plugins: [testRoutes()] });
    const inFlight = app.fetch('/api/v1/__test/sleep?ms=700');
    // Close only once the server holds the request (a fixed delay races on a loaded machine).
    const deadline = Date.now() + 10_000;
    while (app.server.metrics.readInFlight() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const closing = app.close();
    await new Promise((r) => setTimeout(r, 100));
    const refused = await fetch(`${app.url}/health`).then((r) => r.status, () => 'refused');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ slept: 700 });
    expect(refused === 'refused' || refused === 503).toBe(true);
    await closing;
  });
});

describe('fluxbase keys and migrate', () => {
  it('prints anon and service_role keys for the configured secret, the same every time', () => {
    const secret = 'cli-secret-0123456789abcdefghijklmnop';
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-keys-'));
    dirs.push(dataDir);
    const r = run(['keys', '--json'], { FLUXBASE_AUTH_JWT_SECRET: secret, FLUXBASE_DATA_DIR: dataDir });
    expect(r.code).toBe(0);
    const keys = JSON.parse(r.stdout) as { url: string; anon: string; service_role: string };
    expect(keys.url).toBe('http://localhost:8080');
    const anon = verifyJwt(keys.anon, { secret, leewaySeconds: 30 });
    const service = verifyJwt(keys.service_role, { secret, leewaySeconds: 30 });
    expect(anon.ok && anon.claims).toMatchObject({ iss: 'fluxbase', role: 'anon' });
    expect(service.ok && service.claims).toMatchObject({ iss: 'fluxbase', role: 'service_role' });
    expect(anon.ok && anon.claims.iat).toBe(service.ok && service.claims.iat);
    const again = JSON.parse(run(['keys', '--json'], { FLUXBASE_AUTH_JWT_SECRET: secret, FLUXBASE_DATA_DIR: dataDir }).stdout) as typeof keys;
    expect(again).toEqual(keys);
    const text = run(['keys'], { FLUXBASE_AUTH_JWT_SECRET: secret, FLUXBASE_DATA_DIR: dataDir });
    expect(text.stdout).toMatch(/anon key: +ey/);
    expect(existsSync(path.join(dataDir, 'secrets.json')), 'keys generates no secrets').toBe(false);
  });

  it('prints shell export lines with --env, with the configured port in the URL', () => {
    const secret = 'cli-secret-0123456789abcdefghijklmnop';
    const r = run(['keys', '--env'], { FLUXBASE_AUTH_JWT_SECRET: secret, FLUXBASE_SERVER_PORT: '9090' });
    expect(r.code).toBe(0);
    const out = execFileSync('bash', ['-c', `${r.stdout}\necho "$FLUXBASE_URL|\${FLUXBASE_ANON_KEY:0:3}|\${FLUXBASE_SERVICE_ROLE_KEY:0:3}"`], { encoding: 'utf8' });
    expect(out.trim()).toBe('http://localhost:9090|eyJ|eyJ');
  });

  it('refuses, without creating secrets, in a folder where no server was configured, saying where it looked', () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-nokeys-'));
    dirs.push(empty);
    const r = runIn(empty, ['keys'], {});
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FLUXBASE_AUTH_JWT_SECRET');
    expect(r.stderr).toContain(path.join(empty, '.fluxbase', 'secrets.json'));
    expect(r.stderr).toMatch(/--data-dir .*--config/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(path.join(empty, '.fluxbase'))).toBe(false);
  });

  it('applies migrations to an external database and reports them up to date after', async () => {
    const db = await createTestDatabase({ template: false });
    dbs.push(db);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-mig-cli-'));
    dirs.push(dataDir);
    const env = { FLUXBASE_DATABASE_URL: db.url, FLUXBASE_DATA_DIR: dataDir, FLUXBASE_LOGGING_FORMAT: 'json' };
    const first = run(['migrate'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied 001_foundation \(\d+ ms\)$/m);
    const { n } = (await db.sql<{ n: number }[]>`select count(*)::int as n from fluxbase.schema_migrations`)[0]!;
    expect(n).toBeGreaterThan(0);
    const second = run(['migrate'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('(0 applied now,');
  });
});

describe('the command line itself', () => {
  it('prints its version with --version and -v', () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(run(['--version'], {})).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect(run(['-v'], {}).stdout).toBe(`${version}\n`);
  });

  it('answers a mistyped command with exit code 2 and the way to list commands', () => {
    const r = run(['serv'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'serv'");
    expect(r.stderr).toContain('fluxbase --help');
  });
});

describe('start-up failures name their fix', () => {
  it('a port in use: one line naming FLUXBASE_SERVER_PORT, exit 1, no stack trace', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    const db = await createTestDatabase();
    dbs.push(db);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-busy-'));
    dirs.push(dataDir);
    try {
      const r = run(['serve'], { FLUXBASE_DATABASE_URL: db.url, FLUXBASE_DATA_DIR: dataDir, FLUXBASE_SERVER_PORT: String(port), FLUXBASE_SERVER_HOST: '127.0.0.1', FLUXBASE_LOGGING_LEVEL: 'error' });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`fluxbase: port ${port} is already in use (another Fluxbase or another program). Use another port: FLUXBASE_SERVER_PORT=<port> npm start, --port <port>, or server.port in fluxbase.yaml`);
    } finally {
      busy.close();
    }
  });

  it('refuses production without secrets, naming the variables', () => {
    const r = run(['serve'], { FLUXBASE_ENV: 'production', FLUXBASE_DATA_DIR: os.tmpdir() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FLUXBASE_AUTH_JWT_SECRET');
    expect(r.stderr).toContain('FLUXBASE_ENCRYPTION_KEY');
  });

  it('lists every invalid key at once', () => {
    const r = run(['serve'], { FLUXBASE_SERVER_PORT: 'eighty', FLUXBASE_DATABASE_MAX_CONNECTIONS: '-1', FLUXBASE_CORS_MAX_AGE: 'x' });
    expect(r.code).toBe(1);
    for (const key of ['server.port', 'database.max_connections', 'cors.max_age']) expect(r.stderr).toContain(`  - ${key} (from FLUXBASE_`);
  });

  it('refuses a multi-host database URL with one line naming the fix, not a bare TypeError', async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    const u = new URL(db.url);
    const multi = db.url.replace(`@${u.host}/`, `@${u.host},${u.host}/`);
    expect(multi).not.toBe(db.url);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-multihost-'));
    dirs.push(dataDir);
    const r = run(['serve'], { FLUXBASE_DATABASE_URL: multi, FLUXBASE_DATA_DIR: dataDir, FLUXBASE_DATABASE_CONNECT_TIMEOUT: '5s' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('database.url must name one host');
    expect(r.stderr).not.toContain('TypeError');
  });

  it('names the database URL, without its password, when the database is unreachable', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-unreach-'));
    dirs.push(dataDir);
    const r = run(['serve'], { FLUXBASE_DATABASE_URL: `postgres://app:hunter2@127.0.0.1:${port}/appdb`, FLUXBASE_DATA_DIR: dataDir, FLUXBASE_DATABASE_CONNECT_TIMEOUT: '2s' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Cannot connect to PostgreSQL at postgres://app@127.0.0.1:${port}/appdb`);
    expect(r.stderr).not.toContain('hunter2');
  });
});

