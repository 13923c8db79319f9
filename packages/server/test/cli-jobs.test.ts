// `fluxbase jobs deploy|sync|functions|delete|submit|list|get|cancel|retry|logs|stats` as a user
// runs it: the real bin spawned in a project folder, talking HTTP to a real Fluxbase server
// (startTestApp, real PostgreSQL, real Deno running the jobs). What a command did is checked
// through the server's own API, not by recording requests. The cases are a sequence on one
// server: deploy a jobs folder, then submit, follow, cancel and retry jobs of it.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanEnv, freePort } from './harness/child-server.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

// Each case spawns the CLI (TypeScript compiled on the fly): slow on a shared machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const BIN = fileURLToPath(new URL('../bin/fluxbase.js', import.meta.url));
const run = promisify(execFile);

let db: TestDatabase;
let app: TestApp;
let project: string;

/** A request to the real server with the service key: status and parsed body. */
async function server(pathname: string, method = 'GET'): Promise<{ status: number; json: any }> /* eslint-disable-line @typescript-eslint/no-explicit-any -- response shapes vary per case */ {
  const res = await app.fetch(pathname, { method, headers: { authorization: `Bearer ${app.keys.service_role}` } });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

interface Result { code: number; stdout: string; stderr: string }

/** The bin in the project folder; by default pointed at the test server with its service key. */
async function fluxbase(args: string[], env?: Record<string, string>): Promise<Result> {
  const full = { ...cleanEnv(), FLUXBASE_DATA_DIR: path.join(project, '.fluxbase'), ...(env ?? { FLUXBASE_URL: app.url, FLUXBASE_SERVICE_KEY: app.keys.service_role }) };
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'jobs', ...args], { env: full, cwd: project });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function write(files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const full = path.join(project, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
}

/** One line on stderr starting `fluxbase: <message>`, nothing on stdout, exit 1. */
function expectOneLineFailure(r: Result, message: string): void {
  expect(r.stdout).toBe('');
  expect(r.stderr.startsWith(`fluxbase: ${message}`), r.stderr).toBe(true);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.code).toBe(1);
}

const ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

const ECHO = [
  '// @fluxbase:max-retries 0',
  '// @fluxbase:timeout 20',
  'export default async (_req: Request, ctx: { payload: { fail?: boolean } }) => {',
  '  console.log("hello from echo");',
  '  if (ctx.payload.fail) throw new Error("told to fail");',
  '  return { got: ctx.payload };',
  '};',
  '',
].join('\n');
const NIGHTLY = '// @fluxbase:schedule 0 3 * * *\n// @fluxbase:allow_unauthenticated\nimport { word } from "./word.ts";\nexport default () => word;\n';

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp(db.url, { overrides: { jobs: { worker_count: 1, poll_interval: '200ms' } } });
  project = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-jobs-cli-'));
  write({
    'jobs/echo.ts': ECHO,
    'jobs/nightly/index.ts': NIGHTLY,
    'jobs/nightly/word.ts': 'export const word: string = "bundled";\n',
    'jobs/_shared/util.ts': 'export const x = 1;\n',
    'single/greet.ts': '// @fluxbase:description Says hello\nexport default () => "hi";\n',
    'payload.json': '{"from":"file"}',
  });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('fluxbase jobs deploy', () => {
  it('syncs the jobs folder (default ./jobs): annotations applied, local imports bundled, edge-only annotations warned about', async () => {
    const r = await fluxbase(['deploy']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`fluxbase: warning: ${path.join('jobs', 'nightly', 'index.ts')}: @fluxbase:allow_unauthenticated applies to edge functions only; ignored for a job function\n`);
    expect(r.stdout).toBe([
      'synced namespace default: 2 created, 0 updated, 0 deleted, 0 unchanged, 0 errors',
      'job      action',
      'echo     created',
      'nightly  created',
      '',
    ].join('\n'));
    expect((await server('/api/v1/admin/jobs/functions/default/echo')).json).toMatchObject({ max_retries: 0, timeout_seconds: 20, code: ECHO, version: 1 });
    const nightly = (await server('/api/v1/admin/jobs/functions/default/nightly')).json;
    expect(nightly).toMatchObject({ schedule: '0 3 * * *' });
    expect(nightly.code).toContain('bundled');
    expect(nightly.code).not.toContain('./word.ts');
  });

  it('--dry-run --delete-missing changes nothing; one file is a create, then an update', async () => {
    write({ 'only/echo.ts': ECHO });
    const dry = await fluxbase(['deploy', 'only', '--delete-missing', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('dry run, nothing changed: would sync namespace default: 0 created, 0 updated, 1 deleted, 1 unchanged, 0 errors');
    expect(dry.stdout).toMatch(/\nnightly +deleted\n/);
    expect((await server('/api/v1/admin/jobs/functions/default/nightly')).status).toBe(200);

    const created = await fluxbase(['deploy', 'single/greet.ts', '--namespace', 'extra']);
    expect(created).toMatchObject({ code: 0, stderr: '', stdout: 'created job function greet (namespace extra, version 1)\n' });
    expect((await server('/api/v1/admin/jobs/functions/extra/greet')).json.description).toBe('Says hello');
    write({ 'single/greet.ts': 'export default () => "hi again";\n' });
    const updated = await fluxbase(['deploy', 'single/greet.ts', '--namespace', 'extra']);
    expect(updated.stdout).toBe('updated job function greet (namespace extra, version 2)\n');
  });

  it('lists job functions as a table, and deletes one', async () => {
    const r = await fluxbase(['functions']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^name +namespace +version +enabled +schedule +max retries +timeout +source +updated at$/);
    expect(lines.slice(1).map((l) => l.split(/ +/).slice(0, 2).join('/')).sort()).toEqual(['echo/default', 'greet/extra', 'nightly/default']);
    const json = JSON.parse((await fluxbase(['functions', '--namespace', 'extra', '--json'])).stdout);
    expect(json.map((f: { name: string }) => f.name)).toEqual(['greet']);
    expect(await fluxbase(['delete', 'greet', '--namespace', 'extra'])).toMatchObject({ code: 0, stdout: 'deleted job function greet (namespace extra)\n' });
    expectOneLineFailure(await fluxbase(['delete', 'greet', '--namespace', 'extra']), 'Not found: Job function "extra/greet" not found (NOT_FOUND)');
  });
});

describe('fluxbase jobs submit, list, get, logs, cancel, retry', () => {
  it('submits with --wait: the result on stdout, the job on stderr', async () => {
    const r = await fluxbase(['submit', 'echo', '--payload', '{"n":1}', '--wait']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ got: { n: 1 } });
    expect(r.stderr).toMatch(new RegExp(`^submitted job ${ID.source}, waiting for it to finish\njob ${ID.source} completed\n$`));
  });

  it('submits without waiting, then gets, lists and reads the logs of the job', async () => {
    const r = await fluxbase(['submit', 'echo', '--payload', '@payload.json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^submitted job ${ID.source} \\(default/echo, pending\\)\n$`));
    const id = ID.exec(r.stdout)![0];
    await vi.waitFor(async () => expect((await server(`/api/v1/jobs/${id}`)).json.status).toBe('completed'), { timeout: 20_000 });

    const got = await fluxbase(['get', id]);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toMatch(/^status +completed$/m);
    expect(got.stdout).toMatch(/^job +default\/echo$/m);
    expect(got.stdout).toMatch(/^payload +\{"from":"file"\}$/m);
    expect(got.stdout).toMatch(/^result +\{"got":\{"from":"file"\}\}$/m);
    expect(JSON.parse((await fluxbase(['get', id, '--json'])).stdout)).toMatchObject({ id, status: 'completed', result: { got: { from: 'file' } } });

    const list = await fluxbase(['list', '--name', 'echo', '--status', 'completed']);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id +job +status +progress +retries +created at +completed at +error$/);
    expect(lines.find((l) => l.startsWith(id))).toMatch(/ default\/echo +completed +100% +0\/0 /);
    const page = JSON.parse((await fluxbase(['list', '--limit', '1', '--json'])).stdout);
    expect(page).toMatchObject({ limit: 1, offset: 0 });
    expect(page.jobs).toHaveLength(1);

    await vi.waitFor(async () => expect((await server(`/api/v1/jobs/${id}/logs`)).json.count).toBe(1));
    const logs = await fluxbase(['logs', id]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+ +info +hello from echo\n$/);
    const none = await fluxbase(['logs', id, '--after', '1']);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: `no log lines for job ${id} after line 1\n` });
  });

  it('follows the logs of a job until it ends', async () => {
    const sub = await fluxbase(['submit', 'echo', '--at', '2s']);
    const id = ID.exec(sub.stdout)![0];
    const r = await fluxbase(['logs', id, '--follow', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ line_number: 1, level: 'info', message: 'hello from echo' });
    expect((await server(`/api/v1/jobs/${id}`)).json.status).toBe('completed');
  });

  it('fails --wait for a failed job in one line, and retries it', async () => {
    const r = await fluxbase(['submit', 'echo', '--payload', '{"fail":true}', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`fluxbase: job (${ID.source}) failed: .*told to fail`));
    const id = ID.exec(r.stderr)![0];
    const retried = await fluxbase(['retry', id]);
    expect(retried).toMatchObject({ code: 0, stdout: `requeued job ${id} (default/echo, retry 1)\n` });
  });

  it('cancels a scheduled job; cancel and retry in the wrong state are one-line CONFLICT failures', async () => {
    const sub = await fluxbase(['submit', 'echo', '--at', '1h', '--priority', '5', '--max-retries', '2', '--timeout', '30']);
    expect(sub.stdout).toMatch(/, pending, at \d{4}-\S+Z\)\n$/);
    const id = ID.exec(sub.stdout)![0];
    expect((await server(`/api/v1/jobs/${id}`)).json).toMatchObject({ priority: 5, max_retries: 2, max_duration_seconds: 30, status: 'pending' });
    expect(await fluxbase(['cancel', id])).toMatchObject({ code: 0, stdout: `cancelled job ${id} (default/echo)\n` });
    expectOneLineFailure(await fluxbase(['cancel', id]), `Conflict: Job ${id} is cancelled; only a pending, running or interrupted job can be cancelled (CONFLICT)`);
    const done = await fluxbase(['submit', 'echo', '--wait']);
    const doneId = ID.exec(done.stderr)![0];
    expectOneLineFailure(await fluxbase(['retry', doneId]), `Conflict: Job ${doneId} is completed; only a failed, cancelled or interrupted job can be retried (CONFLICT)`);
  });

  it('prints the queue statistics', async () => {
    const r = await fluxbase(['stats']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^status +jobs\npending +\d+\nrunning +\d+\ncompleted +[1-9]\d*\n/);
    expect(r.stdout).toMatch(/^average run time \(completed, last day\): [\d.]+ s$/m);
  });
});

describe.concurrent('fluxbase jobs: bad input, one line and exit 1 (usage: 2)', () => {
  it.each([
    ['an unknown job function', ['submit', 'nope'], 'Not found: Job function "nope" not found (NOT_FOUND). Hint: Deploy it with'],
    ['a --payload that is not JSON', ['submit', 'echo', '--payload', '{n:1}'], '--payload is not valid JSON'],
    ['a --payload that is not an object', ['submit', 'echo', '--payload', '[1,2]'], '--payload must be a JSON object'],
    ['a missing --payload file', ['submit', 'echo', '--payload', '@nope.json'], 'cannot read nope.json for --payload'],
    ['an unknown job id', ['get', '00000000-0000-4000-8000-000000000000'], 'Not found: Job 00000000-0000-4000-8000-000000000000 not found (NOT_FOUND)'],
    ['a missing folder', ['deploy', 'nope'], 'nope does not exist: give your jobs folder (e.g. fluxbase jobs deploy ./jobs) or one job file'],
    ['an empty folder', ['deploy', 'empty'], 'no job functions in empty: put each in <name>.ts or <name>/index.ts'],
    ['an empty folder to sync', ['sync', 'empty'], 'no job functions in empty: put each in <name>.ts or <name>/index.ts'],
    ['--delete-missing with one file', ['deploy', 'single/greet.ts', '--delete-missing'], '--delete-missing needs a jobs folder, not one file'],
  ])('%s', async (_name, args, message) => {
    mkdirSync(path.join(project, 'empty'), { recursive: true });
    expectOneLineFailure(await fluxbase(args), message);
  });

  it('shows code that does not compile as one line', async () => {
    write({ 'broken/bad.ts': 'export default () => { return 1 +; };\n' });
    const r = await fluxbase(['deploy', 'broken/bad.ts']);
    expectOneLineFailure(r, 'Validation failed: code');
  });

  it('says the server is down in one line', async () => {
    const port = await freePort();
    const r = await fluxbase(['list'], { FLUXBASE_URL: `http://127.0.0.1:${port}`, FLUXBASE_SERVICE_KEY: 'any' });
    expectOneLineFailure(r, `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}. Start the server (fluxbase serve) or point at it with --url / FLUXBASE_URL`);
  });

  it('answers usage mistakes with exit 2', async () => {
    const [noName, badAt, badStatus, badLimit] = await Promise.all([
      fluxbase(['submit']),
      fluxbase(['submit', 'echo', '--at', 'tomorrow']),
      fluxbase(['list', '--status', 'sleeping']),
      fluxbase(['list', '--limit', 'many']),
    ]);
    expect(noName.code).toBe(2);
    expect(badAt.code).toBe(2);
    expect(badAt.stderr).toContain('--at takes an RFC 3339 time');
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toContain('--status takes one of pending, running');
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--limit takes a whole number from 1 to 1000');
  });
});
