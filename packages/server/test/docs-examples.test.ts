// The curl examples of docs/ run against a real server, so the docs cannot drift from
// what the server does. In each doc, an sql block marked `<!-- runnable-setup -->` is
// loaded first; then every sh block marked `<!-- runnable -->` runs in bash, in order,
// with the variables the docs use (URL, ANON, TOKEN, SERVICE_ROLE_KEY and the FLUXBASE_*
// ones; http://localhost:8080 is the server's URL). Each curl call is checked against the
// comment lines right under it: `# 401 …` is the status; `# [...]`, `# {...}`, `# 3` is the
// exact JSON body of a 2xx (unless it contains … or ..., then only the status); no comment
// means the call must not fail (status below 400).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanEnv } from './harness/child-server.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

vi.setConfig({ testTimeout: 60_000 });

const DOCS = fileURLToPath(new URL('../../../docs', import.meta.url));

interface Expectation {
  /** Line of the curl command in the block, for messages. */
  command: string;
  status?: number;
  body?: unknown;
  /** Only the status class is checked (2xx). */
  success?: boolean;
}

function blocks(markdown: string, marker: string, lang: string): string[] {
  const re = new RegExp(`<!-- ${marker}(?::[^>]*)? -->\\s*\\n\`\`\`${lang}\\n([\\s\\S]*?)\\n\`\`\``, 'g');
  return [...markdown.matchAll(re)].map((m) => m[1]!);
}

/** The curl calls of a block and what the comments under each say about its answer. */
export function expectationsOf(block: string): Expectation[] {
  const lines = block.split('\n');
  const out: Expectation[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trimStart().startsWith('#') || !/(^|\$\(|\s)curl\s/.test(line)) continue;
    const command = line.trim();
    while (lines[i]!.trimEnd().endsWith('\\')) i++;
    const comments: string[] = [];
    while (i + 1 < lines.length && lines[i + 1]!.trimStart().startsWith('# ')) comments.push(lines[++i]!.trimStart().slice(2));
    const e: Expectation = { command };
    const first = comments[0]?.replace(/^→\s*/, '');
    if (first !== undefined) {
      const status = /^(\d{3})\b(.*)$/.exec(first);
      const bodyText = (status ? status[2]!.replace(/^[\s,]*/, '') : first).trim();
      if (status) e.status = Number(status[1]);
      if (bodyText !== '' && /^[[{"\d-]/.test(bodyText)) {
        if (/…|\.\.\./.test(bodyText)) e.success ??= e.status === undefined;
        else {
          try {
            e.body = JSON.parse(bodyText);
            if (e.status === undefined) e.success = true;
          } catch {
            // not JSON (a CSV line, a header): the status is all we check
          }
        }
      }
    }
    out.push(e);
  }
  return out;
}

let db: TestDatabase;
let app: TestApp;
let work: string;

beforeAll(async () => {
  db = await createTestDatabase();
  for (const file of readdirSync(DOCS).filter((f) => f.endsWith('.md')).sort()) {
    for (const sql of blocks(readFileSync(path.join(DOCS, file), 'utf8'), 'runnable-setup', 'sql')) await db.sql.unsafe(sql);
  }
  // The schema the docs' setup blocks refer to, when a doc shows it in an unmarked block.
  app = await startTestApp(db.url);
  await app.fetch('/api/v1/admin/schema/refresh', { method: 'POST', headers: { Authorization: `Bearer ${app.keys.service_role}` } });
  work = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-docs-'));
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const PROLOGUE = `set -euo pipefail
curl() {
  local n=$(( $(cat "$DOCTEST_DIR/n") + 1 ))
  echo "$n" > "$DOCTEST_DIR/n"
  command curl -sS -o "$DOCTEST_DIR/body.$n" -w '%{http_code}' "$@" > "$DOCTEST_DIR/status.$n"
  cat "$DOCTEST_DIR/body.$n"
}
`;

async function runBlock(block: string, dir: string): Promise<{ status: number; body: string }[]> {
  writeFileSync(path.join(dir, 'n'), '0');
  const script = PROLOGUE + block.replaceAll('http://localhost:8080', app.url);
  const env = {
    ...cleanEnv(), DOCTEST_DIR: dir,
    URL: app.url, ANON: app.keys.anon, TOKEN: app.userToken('8b1b2b7e-0c1a-4a33-9a57-3a4b1d1c2f00'), SERVICE_ROLE_KEY: app.keys.service_role,
    FLUXBASE_URL: app.url, FLUXBASE_ANON_KEY: app.keys.anon, FLUXBASE_SERVICE_ROLE_KEY: app.keys.service_role,
  };
  try {
    await promisify(execFile)('bash', ['-c', script], { env, cwd: dir });
  } catch (err) {
    const e = err as { stdout: string; stderr: string };
    throw new Error(`the block failed:\n${block}\n${e.stdout}\n${e.stderr}`);
  }
  const calls = Number(readFileSync(path.join(dir, 'n'), 'utf8'));
  return Array.from({ length: calls }, (_, k) => ({
    status: Number(readFileSync(path.join(dir, `status.${k + 1}`), 'utf8')),
    body: readFileSync(path.join(dir, `body.${k + 1}`), 'utf8'),
  }));
}

const docs = readdirSync(DOCS).filter((f) => f.endsWith('.md')).sort();
const runnable = docs.flatMap((file) => blocks(readFileSync(path.join(DOCS, file), 'utf8'), 'runnable', 'sh').map((block, i) => ({ file, i, block })));

describe('docs/ curl examples', () => {
  it('some blocks are marked runnable', () => {
    expect(runnable.length).toBeGreaterThanOrEqual(10);
  });

  it.each(runnable.map((r) => [`${r.file} block ${r.i + 1}`, r] as const))('%s answers as documented', async (_name, { block }) => {
    const dir = mkdtempSync(path.join(work, 'block-'));
    const calls = await runBlock(block, dir);
    const expected = expectationsOf(block);
    expect(calls.length, 'curl calls made vs calls in the block').toBe(expected.length);
    expected.forEach((e, k) => {
      const { status, body } = calls[k]!;
      const what = `${e.command}\n→ ${status} ${body.slice(0, 300)}`;
      if (e.status !== undefined) expect(status, what).toBe(e.status);
      else if (e.success) expect(status >= 200 && status < 300, what).toBe(true);
      else expect(status, what).toBeLessThan(400);
      if (e.body !== undefined) expect(JSON.parse(body), what).toEqual(e.body);
    });
  });
});
