// `fluxbase functions deploy|list|delete|invoke|logs` as a user runs it: the real bin
// spawned in a project folder, talking HTTP to a real Fluxbase server (startTestApp, real
// PostgreSQL, real Deno). What a command did is checked through the server's own API
// (GET /api/v1/functions/:name, …), not by recording requests. The cases are a sequence
// on one server: deploy, then list, invoke and read the logs of what was deployed.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanEnv, freePort } from './harness/child-server.ts';
import { createTestDatabase, startTestApp, TEST_JWT_SECRET, type TestApp, type TestDatabase } from './harness/index.ts';

// Each case spawns the CLI (TypeScript compiled on the fly): slow on a shared machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const BIN = fileURLToPath(new URL('../bin/fluxbase.js', import.meta.url));
const run = promisify(execFile);

let db: TestDatabase;
let app: TestApp;
let project: string;

// ---- the server's view -----------------------------------------------------------------

/** GET on the real server with the service key: status and parsed body. */
async function server(pathname: string): Promise<{ status: number; json: any }> /* eslint-disable-line @typescript-eslint/no-explicit-any -- response shapes vary per case */ {
  const res = await app.fetch(pathname, { headers: { authorization: `Bearer ${app.keys.service_role}` } });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

// ---- running the CLI -------------------------------------------------------------------

interface Result { code: number; stdout: string; stderr: string }

/** The bin in the project folder (or `cwd`); by default pointed at the test server with its service key. */
async function fluxbase(args: string[], env?: Record<string, string>, cwd = project): Promise<Result> {
  const full = { ...cleanEnv(), FLUXBASE_DATA_DIR: path.join(cwd, '.fluxbase'), ...(env ?? { FLUXBASE_URL: app.url, FLUXBASE_SERVICE_KEY: app.keys.service_role }) };
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'functions', ...args], { env: full, cwd });
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

// An echo function: what it received, and its own error answers on request.
const HELLO = [
  '// @fluxbase:allow_unauthenticated',
  '// @fluxbase:timeout 5',
  '// @fluxbase:cors-origins https://a.example,https://b.example',
  'export default async (req: Request) => {',
  '  if (req.headers.get("x-fail") === "own") return new Response("I am a teapot", { status: 418 });',
  '  if (req.headers.get("x-fail") === "crash") throw new Error("boom");',
  '  const text = await req.text();',
  '  return { method: req.method, received: text === "" ? null : JSON.parse(text), hello: req.headers.get("x-hello") };',
  '};',
  '',
].join('\n');
const REPORT = '/**\n * @fluxbase:rate-limit 10/min\n * @fluxbase:allow_env API_TOKEN\n */\nexport default () => ({ ok: true });\n';

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp(db.url);
  project = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-fn-cli-'));
  write({
    'functions/hello.ts': HELLO,
    'functions/report/index.ts': REPORT,
    'functions/_shared/util.ts': 'export const x = 1;\n',
    'functions/README.md': '# functions\n',
    'single/greet.ts': '// @fluxbase:description Says hello\nexport default (req: Request) => new Response("hi " + req.method);\n',
    'withlib/calc/index.ts': '// @fluxbase:allow_read\nimport { add } from "./lib.ts";\nexport default () => ({ sum: add(1, 2) });\n',
    'withlib/calc/lib.ts': 'export const add = (a: number, b: number): number => a + b + 1000;\n',
    'body.json': '{"name":"Ada","n":[1,2]}',
    'bad.json': '{"name":',
  });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('fluxbase functions deploy', () => {
  it('deploys a folder as one sync, with the annotations applied', async () => {
    const r = await fluxbase(['deploy', 'functions']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe([
      'synced namespace default: 2 created, 0 updated, 0 deleted, 0 unchanged, 0 errors',
      'function  action',
      'hello     created',
      'report    created',
      '',
    ].join('\n'));
    const hello = await server('/api/v1/functions/hello');
    expect(hello.json).toMatchObject({
      name: 'hello', namespace: 'default', version: 1, allow_unauthenticated: true, timeout_seconds: 5,
      cors_origins: ['https://a.example', 'https://b.example'], is_bundled: false, code: HELLO,
    });
    expect((await server('/api/v1/functions/report')).json).toMatchObject({ rate_limit_per_minute: 10, allow_env: ['API_TOKEN'] });
    const names = (await server('/api/v1/functions')).json.map((f: { name: string }) => f.name);
    expect(names.sort()).toEqual(['hello', 'report']); // not _shared, not README
  });

  it('--dry-run changes nothing; --delete-missing deletes; a folder with an index.ts is one function', async () => {
    rmSync(path.join(project, 'functions/report'), { recursive: true });
    try {
      const dry = await fluxbase(['deploy', 'functions', '--delete-missing', '--dry-run']);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain('dry run, nothing changed: would sync namespace default: 0 created, 0 updated, 1 deleted, 1 unchanged, 0 errors');
      expect(dry.stdout).toMatch(/\nreport +deleted\n/);
      expect((await server('/api/v1/functions/report')).status).toBe(200);

      const real = await fluxbase(['deploy', 'functions', '--delete-missing']);
      expect(real.code).toBe(0);
      expect(real.stdout).toContain('synced namespace default: 0 created, 0 updated, 1 deleted, 1 unchanged, 0 errors');
      expect((await server('/api/v1/functions/report')).json.code).toBe('FUNCTION_NOT_FOUND');
      expect((await server('/api/v1/functions/hello')).json.version).toBe(1); // unchanged: no new version
    } finally {
      write({ 'functions/report/index.ts': REPORT });
    }
    const one = await fluxbase(['deploy', 'functions/report']);
    expect(one).toMatchObject({ code: 0, stdout: 'created function report (namespace default, version 1)\n' });
    expect((await server('/api/v1/functions/report')).json).toMatchObject({ rate_limit_per_minute: 10, allow_env: ['API_TOKEN'] });
  });

  it('deploys one file with a create, then an update (version 2), per namespace', async () => {
    const first = await fluxbase(['deploy', 'single/greet.ts']);
    expect(first).toMatchObject({ code: 0, stdout: 'created function greet (namespace default, version 1)\n' });
    const [again, billing] = await Promise.all([fluxbase(['deploy', 'single/greet.ts']), fluxbase(['deploy', 'single/greet.ts', '--namespace', 'billing'])]);
    expect(again).toMatchObject({ code: 0, stdout: 'updated function greet (namespace default, version 2)\n' });
    expect((await server('/api/v1/functions/greet')).json).toMatchObject({ version: 2, description: 'Says hello', namespace: 'default' });
    expect((await server('/api/v1/functions/greet/versions')).json.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(billing).toMatchObject({ code: 0, stdout: 'created function greet (namespace billing, version 1)\n' });
    expect((await server('/api/v1/functions/greet?namespace=billing')).json).toMatchObject({ version: 1, namespace: 'billing' });
  });

  it('bundles a function with local imports; invoking it returns the helper\'s value', async () => {
    const r = await fluxbase(['deploy', 'withlib']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('synced namespace default: 1 created');
    const calc = await server('/api/v1/functions/calc');
    expect(calc.json).toMatchObject({ is_bundled: true, allow_read: true });
    expect(calc.json.code).not.toContain('./lib.ts'); // lib.ts inlined
    const invoked = await fluxbase(['invoke', 'calc']);
    expect(invoked.stderr).toMatch(/^HTTP 200, execution /);
    expect(invoked.code).toBe(0);
    expect(JSON.parse(invoked.stdout)).toEqual({ sum: 1003 });
  });

  it('refuses a function whose local imports do not bundle, deploying nothing', async () => {
    write({ 'nolib/lost/index.ts': 'import { add } from "./missing.ts";\nexport default () => add(1, 2);\n' });
    const r = await fluxbase(['deploy', 'nolib']);
    expectOneLineFailure(r, `${path.join('nolib', 'lost', 'index.ts')}: cannot bundle its local imports: `);
    expect(r.stderr).toContain('missing.ts');
    expect((await server('/api/v1/functions/lost')).status).toBe(404);
  });

  it('shows the server\'s FUNCTION_BUNDLE_ERROR for a syntax error as one line with its line number', async () => {
    write({ 'single/broken.ts': 'export default () => {\n  return (;\n};\n' });
    const r = await fluxbase(['deploy', 'single/broken.ts']);
    expectOneLineFailure(r, 'Function bundle error: The function does not compile: SyntaxError: ');
    expect(r.stderr).toMatch(/ \(line 2, column \d+\) \(FUNCTION_BUNDLE_ERROR\)\. Hint: /);
    expect(r.stderr.match(/SyntaxError/g)).toHaveLength(1); // the diagnostic the message already holds is not repeated
    expect((await server('/api/v1/functions/broken')).status).toBe(404);
  });

  it('shows a refused deploy as one line with the server\'s field errors', async () => {
    write({ 'single/slow.ts': '// @fluxbase:timeout 100000\nexport default () => 1;\n' });
    const r = await fluxbase(['deploy', 'single/slow.ts']);
    expectOneLineFailure(r, 'Validation failed: timeout_seconds must be at most 86400 (VALIDATION_FAILED)');
  });

  it('reports per-function sync errors (the others still deploy) and exits 1', async () => {
    write({ 'mixed/oops.ts': 'export default () => {\n  return (;\n};\n', 'mixed/fine.ts': 'export default () => "fine";\n' });
    const r = await fluxbase(['deploy', 'mixed', '--namespace', 'mixed']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('synced namespace mixed: 1 created, 0 updated, 0 deleted, 0 unchanged, 1 errors');
    expect(r.stdout).toMatch(/\nfine +created\n/);
    expect(r.stderr).toMatch(/\noops +create +\S.*line 2/);
    expect(r.stderr).toContain('fluxbase: 1 function failed to sync (listed above)');
    expect((await server('/api/v1/functions?namespace=mixed')).json.map((f: { name: string }) => f.name)).toEqual(['fine']);
  });
});

describe('fluxbase functions list, invoke, logs, delete', () => {
  it('lists functions as a table', async () => {
    const r = await fluxbase(['list']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^name +namespace +version +enabled +unauthenticated +cron +source +updated at$/);
    const iso = '\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z';
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^hello +default +1 +true +true +- +api +${iso}$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^greet +default +2 +true +false +- +api +${iso}$`)));
    expect(lines).toContainEqual(expect.stringMatching(/^greet +billing +1 +true +false /));
    expect(lines).toContainEqual(expect.stringMatching(/^calc +default +1 /));
    expect(lines).toHaveLength(1 + 6); // hello, report, greet ×2, calc, fine
  });

  it('invokes with --data JSON and a header, and with --data @file: the body on stdout, status on stderr', async () => {
    const [inline, fromFile] = await Promise.all([
      fluxbase(['invoke', 'hello', '--data', '{"a":1}', '--header', 'X-Hello: there', '--method', 'put']),
      fluxbase(['invoke', 'hello', '--data', '@body.json']),
    ]);
    expect(inline.stderr).toMatch(/^HTTP 200, execution [0-9a-f-]{36}\n$/);
    expect(inline.code).toBe(0);
    expect(JSON.parse(inline.stdout)).toEqual({ method: 'PUT', received: { a: 1 }, hello: 'there' });
    expect(fromFile.stderr).toMatch(/^HTTP 200, execution /);
    expect(fromFile.code).toBe(0);
    expect(JSON.parse(fromFile.stdout)).toEqual({ method: 'POST', received: { name: 'Ada', n: [1, 2] }, hello: null });
  });

  it('shows a function\'s own error answer as is (exit 1) and a crash as one line', async () => {
    const [own, crash] = await Promise.all([
      fluxbase(['invoke', 'hello', '--header', 'x-fail: own']),
      fluxbase(['invoke', 'hello', '--header', 'x-fail: crash']),
    ]);
    expect(own.stderr).toMatch(/^HTTP 418, execution [0-9a-f-]{36}\n$/);
    expect(own.stdout).toBe('I am a teapot');
    expect(own.code).toBe(1);
    expectOneLineFailure(crash, 'Function error: Function "hello" failed: Error: boom (FUNCTION_ERROR, exception). Hint: ');
  });

  it('prints the executions of the invocations above, newest first', async () => {
    const r = await fluxbase(['logs', 'hello', '--limit', '10']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^time +status +status_code +duration_ms +error$/);
    const rows = lines.slice(1);
    expect(rows).toHaveLength(4);
    const iso = /^\d{4}-\d\d-\d\dT[\d:.]+Z +/;
    expect(rows.every((l) => iso.test(l)), rows.join('\n')).toBe(true);
    // The two echoes, the 418 the function answered itself (a success) and the crash.
    const shown = rows.map((l) => l.replace(/^\S+ +/, '').replace(/ +/g, ' ').replace(/^(\w+ \d+) \d+/, '$1 <ms>'));
    expect(shown.sort()).toEqual(['error 500 <ms> Error: boom', 'success 200 <ms>', 'success 200 <ms>', 'success 418 <ms>']);
    expect(rows).toEqual([...rows].sort().reverse()); // newest first
  });

  it('deletes a function, then reports it missing in one line', async () => {
    expect(await fluxbase(['delete', 'greet'])).toMatchObject({ code: 0, stdout: 'deleted function greet (namespace default)\n' });
    expect((await server('/api/v1/functions/greet')).json.code).toBe('FUNCTION_NOT_FOUND');
    expect((await server('/api/v1/functions/greet?namespace=billing')).status).toBe(200);
    expectOneLineFailure(await fluxbase(['delete', 'greet']), 'Function not found: No function named "greet" in namespace "default" (FUNCTION_NOT_FOUND). Hint: ');
  });
});

describe.concurrent('fluxbase functions: where the server and key come from', () => {
  it('takes --url and --key over the environment', async () => {
    const r = await fluxbase(['list', '--url', `${app.url}/`, '--key', app.keys.service_role], { FLUXBASE_URL: 'http://127.0.0.1:9', FLUXBASE_SERVICE_KEY: 'not-a-key' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^hello +default /m);
  });

  it('refuses a key the server does not accept, in one line', async () => {
    const r = await fluxbase(['list'], { FLUXBASE_URL: app.url, FLUXBASE_SERVICE_KEY: app.keys.anon });
    expectOneLineFailure(r, 'Authentication required: Admin routes need a service key or an admin user token (MISSING_AUTHENTICATION)');
  });

  it('mints a service-role key from fluxbase.yaml (auth.jwt_secret) and finds the server by its port', async () => {
    const dir = path.join(project, 'configured');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'fluxbase.yaml'), `server:\n  port: ${new URL(app.url).port}\n  public_url: ${app.url}\nauth:\n  jwt_secret: ${TEST_JWT_SECRET}\n`);
    const r = await fluxbase(['list'], {}, dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^hello +default /m);
  });

  it('says when no key can be found, in one line', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-fn-cli-nokey-'));
    try {
      expectOneLineFailure(await fluxbase(['list'], { FLUXBASE_URL: app.url }, dir), 'no Fluxbase server configuration found: auth.jwt_secret is not set');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.concurrent('fluxbase functions: bad input, one line and exit 1', () => {
  it.each([
    ['a missing folder', ['deploy', 'nope'], 'nope does not exist: give your functions folder (e.g. fluxbase functions deploy ./functions) or one function file'],
    ['an empty folder', ['deploy', 'empty'], 'no functions in empty: put each in <name>.ts or <name>/index.ts'],
    ['a bad function name', ['deploy', 'badname'], `${path.join('badname', 'Hello.ts')}: "Hello" is not a valid function name: a function name uses lowercase letters, digits, - and _`],
    ['a bad annotation', ['deploy', 'badannot'], `${path.join('badannot', 'x.ts')}: line 1: unknown annotation @fluxbase:timout; did you mean @fluxbase:timeout?`],
    ['a file that is no function', ['deploy', 'body.json'], 'body.json is not a .ts or .js file'],
    ['--delete-missing with one file', ['deploy', 'single/greet.ts', '--delete-missing'], '--delete-missing needs a functions folder, not one file'],
    ['inline --data that is not JSON', ['invoke', 'hello', '--data', '{name:1}'], '--data is not valid JSON'],
    ['a --data file that is not JSON', ['invoke', 'hello', '--data', '@bad.json'], '--data @bad.json is not valid JSON'],
    ['a missing --data file', ['invoke', 'hello', '--data', '@nope.json'], 'cannot read nope.json for --data'],
    ['--data with GET', ['invoke', 'hello', '--method', 'GET', '--data', '{}'], 'a GET request carries no body'],
  ])('%s', async (_name, args, message) => {
    mkdirSync(path.join(project, 'empty'), { recursive: true });
    write({ 'badname/Hello.ts': 'export default () => 1;', 'badannot/x.ts': '// @fluxbase:timout 3\n' });
    expectOneLineFailure(await fluxbase(args), message);
  });

  it('says the server is down in one line', async () => {
    const port = await freePort();
    const down = { FLUXBASE_URL: `http://127.0.0.1:${port}`, FLUXBASE_SERVICE_KEY: 'any' };
    const [list, deploy] = await Promise.all([fluxbase(['list'], down), fluxbase(['deploy', 'functions'], down)]);
    expectOneLineFailure(list, `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}. Start the server (fluxbase serve) or point at it with --url / FLUXBASE_URL`);
    expectOneLineFailure(deploy, `cannot reach http://127.0.0.1:${port}`);
  });

  it('answers usage mistakes with exit 2', async () => {
    const [noPath, badLimit, badHeader] = await Promise.all([
      fluxbase(['deploy']),
      fluxbase(['logs', 'hello', '--limit', 'many']),
      fluxbase(['invoke', 'hello', '--header', 'no-colon']),
    ]);
    expect(noPath.code).toBe(2);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--limit takes a whole number from 1 to 1000');
    expect(badHeader.code).toBe(2);
  });
});
