// The example of docs/jobs.md ("## Example") runs as the doc says: its job file, put in
// jobs.dir, is deployed when the server starts (with its annotations); the curl body submits
// it as a signed-in user; the job ends as the doc's JSON shows, with the doc's log line; and
// the SDK lines (with '@fluxbase/sdk' this repository's SDK) print the doc's result.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { transformSync } from 'esbuild';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createClient } from '../../sdk/src/index.ts';
import { docBlocks } from './harness/docs.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';


const { text: doc, blocksUnder } = docBlocks('jobs.md');

let db: TestDatabase;
let app: TestApp;
let sql: postgres.Sql;
const user = randomUUID();

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-docs-jobs-'));
  mkdirSync(path.join(dir, 'jobs'));
  const [jobFile] = blocksUnder('## Example', 'ts');
  writeFileSync(path.join(dir, 'jobs', 'resize-report.ts'), jobFile!);
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 1, onnotice: () => {} });
  await sql`insert into auth.users (id, email) values (${user}, 'reader@example.com')`;
  app = await startTestApp(db.url, { overrides: { jobs: { dir: path.join(dir, 'jobs') } } });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await sql?.end();
  await db?.drop();
});

it('deploys the file from jobs.dir with its annotations, runs the curl submit and ends as the doc shows', async () => {
  const fn = await (await app.fetch('/api/v1/admin/jobs/functions/default/resize-report', { headers: { authorization: `Bearer ${app.keys.service_role}` } })).json();
  expect(fn).toMatchObject({ name: 'resize-report', max_retries: 2, timeout_seconds: 120, source: 'filesystem' });

  const [submitCmd, followCmds] = blocksUnder('## Example', 'bash');
  expect(submitCmd).toContain('/api/v1/jobs/submit');
  const body = /-d '([^']+)'/.exec(submitCmd!)![1]!;
  const headers = { authorization: `Bearer ${app.userToken(user)}`, 'content-type': 'application/json' };
  const res = await app.fetch('/api/v1/jobs/submit', { method: 'POST', headers, body });
  expect(res.status).toBe(201);
  const job = (await res.json()) as { id: string; status: string };
  expect(job.status).toBe('pending');

  expect(followCmds).toContain('/api/v1/jobs/$JOB_ID/logs?after_line=0');
  let done: Record<string, unknown> = {};
  await vi.waitFor(async () => {
    done = (await (await app.fetch(`/api/v1/jobs/${job.id}`, { headers })).json()) as Record<string, unknown>;
    expect(done.status).toBe('completed');
  }, { timeout: 30_000, interval: 100 });
  const [shown] = blocksUnder('## Example', 'json');
  expect(done).toMatchObject(JSON.parse(shown!));
  const logs = (await (await app.fetch(`/api/v1/jobs/${job.id}/logs?after_line=0`, { headers })).json()) as { count: number; logs: unknown[] };
  const line = /`(\{"logs": \[.*?\], "count": 1\})`/.exec(doc)![1]!;
  const expected = JSON.parse(line.replace('"…"', '"x"')) as { logs: { line_number: number; level: string; message: string }[]; count: number };
  expect(logs.count).toBe(expected.count);
  expect(logs.logs[0]).toMatchObject({ line_number: 1, level: 'info', message: expected.logs[0]!.message });
});

it('runs the SDK lines of the example', async () => {
  const snippet = blocksUnder('## Example', 'ts')[1]!;
  const client = createClient(app.url, app.userToken(user), { auth: { persistSession: false, autoRefreshToken: false } });
  const printed: unknown[] = [];
  const code = transformSync(snippet, { loader: 'ts' }).code;
  const run = new Function('client', 'console', `return (async () => { ${code} })();`) as (c: unknown, con: { log(v: unknown): void }) => Promise<void>;
  await run(client, { log: (v) => printed.push(v) });
  expect(printed).toEqual([{ processed: 100 }]);
}, 60_000);
