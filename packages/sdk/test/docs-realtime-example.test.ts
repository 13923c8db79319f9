// The example of docs/sdk-realtime.md ("## Example") runs as the doc says: its ts block is
// written to a .mts file inside the repository (so `@fluxbase/sdk` and `ws` resolve from
// the repository's node_modules, the SDK being the built workspace package), the
// `messages` table is created by docs/realtime.md's runnable-setup sql block and enabled
// for realtime, and `npx tsx` runs the file against a real server with FLUXBASE_URL and
// FLUXBASE_ANON_KEY set, as `eval "$(npx fluxbase keys --env)"` would. Its output must
// have every line the doc promises (the presence and broadcast lines in any order, as the
// doc allows), the lobby message once, never the kitchen message, and the process must end
// by itself, with exit code 0. The block is also type-checked as a user's strict TypeScript project would.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanEnv } from '../../server/test/harness/child-server.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../../server/test/harness/index.ts';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 180_000 });

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SDK_DIR = path.join(REPO, 'packages/sdk');
const GUIDE = path.join(REPO, 'docs/sdk-realtime.md');
const SERVER_GUIDE = path.join(REPO, 'docs/realtime.md');
/** The example must end by itself well within this (it stops itself after 2 s). */
const EXIT_BOUND_MS = 30_000;

/** The body of the first ```lang block after `heading`, before the next `## ` heading. */
function blockAfter(markdown: string, heading: string, lang: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no "${heading}" heading`);
  const next = markdown.indexOf('\n## ', start + heading.length + 2);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  const m = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\\n\`\`\``).exec(section);
  if (!m) throw new Error(`no ${lang} block under "${heading}"`);
  return m[1]!;
}

/** The sql blocks marked `<!-- runnable-setup -->`, as packages/server/test/docs-examples.test.ts reads them. */
function setupBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/<!-- runnable-setup(?::[^>]*)? -->\s*\n```sql\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
}

/** Newest mtime of the SDK's sources that go into dist, and oldest of dist's .js files (0 when dist is missing). */
function distIsStale(): boolean {
  const mtimes = (dir: string, keep: (f: string) => boolean): number[] => {
    try {
      return readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter(keep)
        .map((f) => statSync(path.join(dir, f)).mtimeMs);
    } catch {
      return [];
    }
  };
  const sources = mtimes(path.join(SDK_DIR, 'src'), (f) => f.endsWith('.ts') && !/\.test(-helper|-d)?\.ts$/.test(f));
  const built = mtimes(path.join(SDK_DIR, 'dist'), (f) => f.endsWith('.js'));
  return built.length === 0 || Math.max(...sources) > Math.min(...built);
}

const guide = readFileSync(GUIDE, 'utf8');
const example = blockAfter(guide, '## Example', 'ts');
/** The `# …` lines the doc shows under `npx tsx realtime-example.mts`. */
const promised = blockAfter(guide, '## Example', 'sh')
  .split('\n')
  .filter((line) => line.startsWith('# '))
  .map((line) => line.slice(2).trim());

let db: TestDatabase;
let app: TestApp;
let work: string;
let file: string;

beforeAll(async () => {
  // `@fluxbase/sdk` is the workspace package, whose entry point is the built dist/ (npm
  // install's postinstall builds it); rebuild it when the sources changed since.
  const require = createRequire(path.join(REPO, 'package.json'));
  expect(realpathSync(require.resolve('@fluxbase/sdk/package.json'))).toBe(path.join(SDK_DIR, 'package.json'));
  if (distIsStale()) execFileSync('npm', ['run', 'build', '--workspace', '@fluxbase/sdk'], { cwd: REPO, stdio: 'pipe' });

  // Inside the repository (node_modules is git- and lint-ignored), so imports resolve as
  // they do for a file at the repository root.
  mkdirSync(path.join(REPO, 'node_modules/.cache'), { recursive: true });
  work = mkdtempSync(path.join(REPO, 'node_modules/.cache/docs-realtime-example-'));
  file = path.join(work, 'realtime-example.mts');
  writeFileSync(file, example);

  db = await createTestDatabase();
  const setup = setupBlocks(readFileSync(SERVER_GUIDE, 'utf8'));
  expect(setup.join('\n')).toMatch(/create table messages/);
  for (const sql of setup) await db.sql.unsafe(sql);
  // The grants the API roles get on public tables (as in the server's realtime tests).
  await db.sql.unsafe('grant select, insert, update, delete on all tables in schema public to anon, authenticated, service_role');
  app = await startTestApp(db.url, { overrides: { rate_limit: { enabled: false } } });
  // As docs/realtime.md "With the admin API" enables it.
  const res = await app.fetch('/api/v1/admin/realtime/tables', {
    method: 'POST',
    headers: { Authorization: `Bearer ${app.keys.service_role}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ table: 'messages', events: ['INSERT', 'UPDATE'], exclude: ['internal_note'] }),
  });
  if (res.status !== 201) throw new Error(`enabling realtime failed: ${res.status} ${await res.text()}`);
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('docs/sdk-realtime.md "Example"', () => {
  it('is the example the doc shows, with the output it promises', () => {
    expect(example).toMatch(/from '@fluxbase\/sdk'/);
    expect(example).toMatch(/from 'ws'/);
    for (const line of ['subscribed', 'broadcast: ok', 'typing: Ann is typing…', 'new message: hello, lobby']) expect(promised).toContain(line);
  });

  it('runs with `npx tsx`, prints what the doc promises and exits 0 by itself', async () => {
    const started = Date.now();
    // Its own process group, so that on a timeout npx and the node process under it both go.
    const child = spawn('npx', ['tsx', file], {
      cwd: REPO,
      env: { ...cleanEnv(), FLUXBASE_URL: app.url, FLUXBASE_ANON_KEY: app.keys.anon, npm_config_offline: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, EXIT_BOUND_MS);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    clearTimeout(timer);
    const elapsed = Date.now() - started;
    const what = `exit ${code} signal ${signal}${timedOut ? ' (killed: it did not end by itself)' : ''} after ${elapsed} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`;
    expect(timedOut, what).toBe(false);
    expect(signal, what).toBeNull();
    expect(code, what).toBe(0);
    expect(elapsed, what).toBeLessThan(EXIT_BOUND_MS);

    const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
    for (const line of promised) expect(lines, what).toContain(line);
    expect(lines.filter((l) => l === 'new message: hello, lobby'), what).toHaveLength(1);
    expect(stdout, what).not.toMatch(/not for the lobby/);
    expect(stdout + stderr, what).not.toMatch(/channel error|refetch/);
    // 'subscribed' comes first; the message after the broadcast that precedes its insert.
    expect(lines[0], what).toBe('subscribed');
    expect(lines.indexOf('new message: hello, lobby'), what).toBeGreaterThan(lines.indexOf('broadcast: ok'));
  });

  it('type-checks in a strict TypeScript project', () => {
    writeFileSync(path.join(work, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], lib: ['ES2023'], skipLibCheck: true },
      files: ['realtime-example.mts'],
    }));
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    let output = '';
    let code = 0;
    try {
      output = execFileSync(process.execPath, [tsc, '-p', work], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string };
      code = e.status;
      output = `${e.stdout}${e.stderr}`;
    }
    expect(output).toBe('');
    expect(code).toBe(0);
  });
});
