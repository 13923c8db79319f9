// The example of docs/functions.md ("## Example") runs as the doc says: its ts block is the
// file functions/greet.ts of a project folder, the server deploys that folder at start
// (functions.dir), the doc's curl command (bash, http://localhost:8080 being the server's
// URL) prints exactly the doc's JSON, and the SDK call the doc shows returns the same value.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../sdk/src/index.ts';
import { cleanEnv } from './harness/child-server.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

const DOC = fileURLToPath(new URL('../../../docs/functions.md', import.meta.url));
const run = promisify(execFile);

/** The bodies of the ```lang blocks of the section under `heading`, in order. */
function blocksUnder(markdown: string, heading: string, lang: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no "${heading}" heading in docs/functions.md`);
  const next = markdown.indexOf('\n## ', start + heading.length + 2);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\\n\`\`\``, 'g'))].map((m) => m[1]!);
}

const doc = readFileSync(DOC, 'utf8');
let dir: string;
let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-fn-doc-'));
  mkdirSync(path.join(dir, 'functions'));
  writeFileSync(path.join(dir, 'functions', 'greet.ts'), `${blocksUnder(doc, '## Example', 'ts')[0]}\n`);
  db = await createTestDatabase();
  app = await startTestApp(db.url, { overrides: { functions: { dir: path.join(dir, 'functions') } } });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('docs/functions.md "Example"', () => {
  const expected = JSON.parse(blocksUnder(doc, '## Example', 'json')[0]!) as unknown;

  it('deploys the folder at start, with the annotations of the file', async () => {
    const res = await app.fetch('/api/v1/functions/greet', { headers: { authorization: `Bearer ${app.keys.service_role}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'greet', source: 'filesystem', allow_unauthenticated: true, description: 'Greets the caller by name' });
  });

  it('answers the curl command with the JSON the doc shows', async () => {
    const command = blocksUnder(doc, '## Example', 'sh')[0]!.replaceAll('http://localhost:8080', app.url);
    const { stdout } = await run('bash', ['-c', command], { env: cleanEnv() });
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  it('answers the SDK call the doc shows with the same value', async () => {
    const call = blocksUnder(doc, '## Example', 'ts')[1]!;
    expect(call).toContain("client.functions.invoke('greet', { body: { name: 'Ada' } })");
    const client = createClient(app.url, app.keys.anon);
    const { data, error } = await client.functions.invoke('greet', { body: { name: 'Ada' } });
    expect(error).toBeNull();
    expect(data).toEqual(expected);
  });
});
