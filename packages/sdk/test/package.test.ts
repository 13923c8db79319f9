// @fluxbase/sdk as a user installs it: `npm pack` builds the tarball (JavaScript and .d.ts
// in dist/), and it is installed, offline, into throwaway projects outside this repository:
// a plain Node 20 ESM project that queries a real server with it, TypeScript projects with
// a default-style tsconfig (`moduleResolution` bundler and node16, library checks on), and
// a browser bundle made with esbuild. docs/sdk.md, "Install".
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../../server/test/harness/index.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const SDK_DIR = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const TSC = require.resolve('typescript/bin/tsc');
const ESBUILD = path.join(path.dirname(require.resolve('esbuild/package.json')), 'bin', 'esbuild');

let work: string;
let tarball: string;
let db: TestDatabase;
let app: TestApp;

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
}

/** Run a command and return its exit code and output (tsc reports errors on stdout). */
function run(cmd: string, args: string[], cwd: string): { code: number; output: string } {
  try {
    return { code: 0, output: sh(cmd, args, cwd) };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, output: `${e.stdout}${e.stderr}` };
  }
}

/** A fresh project folder with the tarball installed from disk. */
function project(name: string, manifest: Record<string, unknown> = {}): string {
  const dir = path.join(work, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module', ...manifest }));
  sh('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], dir);
  return dir;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-sdk-pack-'));
  const out = sh('npm', ['pack', '--json', '--pack-destination', work], SDK_DIR);
  const [info] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, info!.filename);
  db = await createTestDatabase();
  await db.sql`create table public.todos (id int primary key, title text not null)`;
  await db.sql`insert into public.todos values (1, 'ship the SDK')`;
  app = await startTestApp(db.url);
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the built JavaScript and declarations, and no sources or tests', () => {
    const listing = sh('tar', ['-tzf', tarball], work).split('\n').filter(Boolean);
    expect(listing).toContain('package/dist/index.js');
    expect(listing).toContain('package/dist/index.d.ts');
    expect(listing.filter((f) => f.startsWith('package/src/') || /\.test\./.test(f))).toEqual([]);
    const manifest = JSON.parse(readFileSync(path.join(SDK_DIR, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; dependencies?: unknown };
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js', default: './dist/index.js' });
    // One dependency: graphql-ws's client (client.graphql.subscribe; ~24 kB, no Node built-ins,
    // and it never loads its `graphql` peer).
    expect(Object.keys((manifest.dependencies ?? {}) as Record<string, string>), 'the SDK depends on graphql-ws only').toEqual(['graphql-ws']);
  });
});

describe('a plain Node ESM project', () => {
  it('imports the SDK and queries a real server with it', async () => {
    const dir = project('node-app');
    writeFileSync(path.join(dir, 'main.js'), `
      import { createClient } from '@fluxbase/sdk';
      const client = createClient(process.argv[2], process.argv[3]);
      const { data, error } = await client.from('todos').select('id,title').eq('id', 1);
      console.log(JSON.stringify({ data, error }));
    `);
    // Asynchronously: the server under test runs in this process and must keep answering.
    const { stdout } = await promisify(execFile)(process.execPath, ['main.js', app.url, app.keys.service_role], { cwd: dir });
    const out = JSON.parse(stdout) as { data: unknown; error: unknown };
    expect(out).toEqual({ data: [{ id: 1, title: 'ship the SDK' }], error: null });
  });
});

describe('TypeScript projects', () => {
  const source = `
    import { createClient, isFluxbaseError, type FluxbaseClient } from '@fluxbase/sdk';
    const client: FluxbaseClient = createClient('http://localhost:8080', 'anon-key');
    const { data, error } = await client.from('todos').select('id,title').eq('id', 1);
    if (error && isFluxbaseError(error)) console.log(error.code);
    console.log(data);
    export {};
  `;

  it.each([
    ['bundler', { module: 'esnext', moduleResolution: 'bundler' }],
    ['node16', { module: 'node16', moduleResolution: 'node16' }],
  ])('typecheck with moduleResolution %s and library checks on', (name, options) => {
    const dir = project(`ts-${name}`);
    writeFileSync(path.join(dir, 'main.ts'), source);
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, ...options },
    }));
    expect(run(process.execPath, [TSC, '-p', '.'], dir)).toEqual({ code: 0, output: '' });
    // The types are real, not `any`: a misuse is an error.
    writeFileSync(path.join(dir, 'main.ts'), `${source}\nconst wrong: number = createClient('a', 'b');\n`);
    const misuse = run(process.execPath, [TSC, '-p', '.'], dir);
    expect(misuse.code).not.toBe(0);
    expect(misuse.output).toMatch(/not assignable to type 'number'/);
  });
});

describe('a browser bundle', () => {
  it('bundles with esbuild for the browser with no Node built-ins', () => {
    const dir = project('browser-app');
    writeFileSync(path.join(dir, 'entry.js'), "import { createClient } from '@fluxbase/sdk';\nwindow.client = createClient('https://api.example.com', 'anon');\n");
    sh(ESBUILD, ['entry.js', '--bundle', '--platform=browser', '--format=esm', '--outfile=out.js', '--log-level=error'], dir);
    const bundle = readFileSync(path.join(dir, 'out.js'), 'utf8');
    expect(bundle).toContain('createClient');
    expect(bundle).not.toMatch(/from\s+["']node:|require\(["'](node:)?(fs|http|net|crypto)["']\)/);
  });
});
