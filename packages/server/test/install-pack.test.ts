// The install path of docs/deploy.md: `npm pack` the server package (and the SDK it
// depends on, a workspace package that is not on the registry), install both tarballs into
// an empty folder as a user would, and `npx fluxbase` starts on an embedded PostgreSQL,
// answers /ready and stops cleanly on SIGTERM. Slow (npm installs ~200 packages, from the
// npm cache when it has them), so it is one file that runs beside the others.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, freePort } from './harness/child-server.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

/** The environment of a user's shell: no FLUXBASE_*, and none of the npm_* variables or
 * node_modules/.bin entries `npm test` adds (they would point npm at this repository). */
function userEnv(): Record<string, string> {
  const env = Object.fromEntries(Object.entries(cleanEnv()).filter(([k]) => !/^npm_/i.test(k)));
  env.PATH = (env.PATH ?? '').split(path.delimiter).filter((d) => !d.includes('node_modules')).join(path.delimiter);
  return env;
}

async function npm(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run('npm', args, { cwd, env: userEnv(), maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** `npm pack` of a workspace package into `dest`; the tarball's path. `--ignore-scripts`: the
 * packages' prepack builds would rewrite their dist/ folders under the other test files'
 * feet; the root `postinstall` has built them already. */
async function pack(pkg: string, dest: string): Promise<string> {
  const out = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dest], path.join(ROOT, pkg));
  const [info] = JSON.parse(out) as { filename: string }[];
  return path.join(dest, info!.filename);
}

let work: string;
let app: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-install-'));
  // A user's folder is readable by others (mkdtemp's is not): as root, the embedded
  // PostgreSQL runs as the "postgres" OS user and must reach its cluster and binaries.
  chmodSync(work, 0o755);
  app = path.join(work, 'app');
  const sdk = await pack('packages/sdk', work);
  const server = await pack('packages/server', work);
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), '{ "name": "my-backend", "private": true }\n');
  await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', sdk, server], app);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack of the server package, installed into an empty folder', () => {
  it('npx fluxbase --version answers with the package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'packages/server/package.json'), 'utf8')) as { version: string };
    const { stdout } = await run('npx', ['--no-install', 'fluxbase', '--version'], { cwd: app, env: userEnv() });
    expect(stdout.trim()).toBe(version);
  }, 120_000);

  it('npx fluxbase starts on an embedded PostgreSQL, is ready, and stops on SIGTERM', async () => {
    const port = await freePort();
    const dataDir = path.join(work, 'data');
    // detached: its own process group, so the signal reaches npm exec and the server as
    // Ctrl-C or systemd would deliver it.
    const child = spawn('npx', ['--no-install', 'fluxbase'], {
      cwd: app, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...userEnv(), FLUXBASE_SERVER_PORT: String(port), FLUXBASE_SERVER_HOST: '127.0.0.1', FLUXBASE_DATA_DIR: dataDir, FLUXBASE_LOGGING_FORMAT: 'json' },
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const groupAlive = () => {
      try {
        process.kill(-child.pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      const deadline = Date.now() + 120_000;
      let ready: { status: number; body: unknown } | undefined;
      while (Date.now() < deadline && child.exitCode === null) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/ready`);
          ready = { status: res.status, body: await res.json() };
          if (res.status === 200) break;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(ready, out).toEqual({ status: 200, body: { status: 'ready', checks: { database: true, migrations: true } } });
      // The embedded cluster: in the data dir, or where embedded-postgres.json says (as root,
      // when the data dir is not reachable by the postgres user).
      const state = JSON.parse(readFileSync(path.join(dataDir, 'embedded-postgres.json'), 'utf8')) as { cluster_dir?: string };
      const cluster = state.cluster_dir ?? path.join(dataDir, 'postgres');
      expect(existsSync(path.join(cluster, 'PG_VERSION')), `an embedded cluster in ${cluster}`).toBe(true);
      const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json() as { status: string };
      expect(health.status).toBe('ok');

      process.kill(-child.pid!, 'SIGTERM');
      // npm exec ends on the signal without waiting for the server, so its exit code says
      // nothing; the server's own log and the process group do.
      const stopBy = Date.now() + 60_000;
      while (groupAlive() && Date.now() < stopBy) await new Promise((r) => setTimeout(r, 100));
      expect(groupAlive(), `still running after SIGTERM:\n${out.slice(-2000)}`).toBe(false);
      expect(out).toContain('SIGTERM received');
      expect(out).toContain('embedded PostgreSQL stopped');
      expect(existsSync(path.join(cluster, 'postmaster.pid')), 'PostgreSQL shut down').toBe(false);
      expect(out).not.toMatch(/"level":(50|60)/);
    } finally {
      if (groupAlive()) process.kill(-child.pid!, 'SIGKILL');
    }
  }, 240_000);

  it('runs the patched database driver (patches/postgres+3.4.9.patch, docs/operations.md "The database driver")', async () => {
    // Which entry the installed bin runs (bin/entry.js decides), and whether the postgres.js
    // that entry loads carries the patch: inlined into the bundle, or node_modules/postgres.
    const pkg = path.join(app, 'node_modules', 'fluxbase');
    const { chooseEntry } = await import(pathToFileURL(path.join(pkg, 'bin', 'entry.js')).href) as {
      chooseEntry(root: URL, env?: Record<string, string | undefined>): { kind: 'bundle' | 'source'; url: URL };
    };
    const entry = chooseEntry(pathToFileURL(`${pkg}/`), {});
    // A line of the patch's code (comments do not survive bundling): a reservation whose
    // connection was handed to someone else refuses its former holder.
    const marker = /c\.reserved !== reservation/;
    const driverPatched = marker.test(readFileSync(path.join(app, 'node_modules', 'postgres', 'src', 'index.js'), 'utf8'));
    if (entry.kind === 'bundle') {
      // The bundle is split into entries and chunks (scripts/build.mjs): read every file of dist/.
      const dist = path.join(pkg, 'dist');
      const bundle = readdirSync(dist, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.js'))
        .map((f) => readFileSync(path.join(dist, f), 'utf8'))
        .join('\n');
      expect(fileURLToPath(entry.url).startsWith(dist)).toBe(true);
      const importsDriver = /from\s*["']postgres["']/.test(bundle);
      expect(importsDriver ? driverPatched : marker.test(bundle), `the bundle ${importsDriver ? 'imports node_modules/postgres, which is unpatched' : 'inlines an unpatched postgres.js'}`).toBe(true);
    } else {
      expect(driverPatched, `the installed package runs its TypeScript sources (${entry.url.pathname}) with node_modules/postgres, which npm installed unpatched`).toBe(true);
    }
  });
});
