// The example of docs/webhooks.md ("## Example") runs as the doc says: its SQL creates the
// table, its JSON registers the webhook (pointed at the receiver on loopback), its receiver
// (the js block, with '@fluxbase/sdk' resolved to this repository's SDK) verifies the
// signature and prints the change in the doc's format, and refuses a forged request.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

const DOC = fileURLToPath(new URL('../../../docs/webhooks.md', import.meta.url));
const SDK = pathToFileURL(fileURLToPath(new URL('../../sdk/src/index.ts', import.meta.url))).href;

function blocksUnder(markdown: string, heading: string, lang: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no "${heading}" heading in docs/webhooks.md`);
  const next = markdown.indexOf('\n## ', start + heading.length + 2);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\\n\`\`\``, 'g'))].map((m) => m[1]!);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const doc = readFileSync(DOC, 'utf8');
let dir: string;
let db: TestDatabase;
let app: TestApp;
let owner: postgres.Sql;
let receiver: ChildProcess | undefined;
let out = '';

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-wh-doc-'));
  db = await createTestDatabase();
  owner = postgres(db.url, { max: 1, onnotice: () => {} });
  await owner.unsafe(blocksUnder(doc, '## Example', 'sql')[0]!);
  app = await startTestApp(db.url, { overrides: { webhooks: { allow_private_targets: true } } });
}, 60_000);

afterAll(async () => {
  receiver?.kill();
  await app?.close();
  await owner?.end();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('docs/webhooks.md "Example"', () => {
  it('registers, delivers, verifies and prints the change as the doc shows', async () => {
    const port = await freePort();
    const registration = JSON.parse(blocksUnder(doc, '## Example', 'json')[0]!) as Record<string, unknown>;
    const res = await app.fetch('/api/v1/webhooks', {
      method: 'POST', headers: { authorization: `Bearer ${app.keys.service_role}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...registration, url: `http://127.0.0.1:${port}/hooks/fluxbase` }),
    });
    expect(res.status).toBe(201);
    const { secret } = await res.json() as { secret: string };

    const file = path.join(dir, 'receiver.mjs');
    writeFileSync(file, blocksUnder(doc, '## Example', 'js')[0]!.replace("'@fluxbase/sdk'", JSON.stringify(SDK)));
    receiver = spawn(process.execPath, ['--import', 'tsx', file], { env: { ...process.env, WEBHOOK_SECRET: secret, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    receiver.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    receiver.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    await vi.waitFor(async () => {
      const forged = await fetch(`http://127.0.0.1:${port}/hooks/fluxbase`, { method: 'POST', body: '{"event":"INSERT"}', headers: { 'x-fluxbase-signature': 't=1,v1=00' } });
      expect(forged.status).toBe(401);
    }, { timeout: 20_000, interval: 100 });

    await owner`insert into orders (item) values ('book')`;
    await vi.waitFor(() => expect(out).toContain('INSERT orders {"id":1,"item":"book","user_id":null}'), { timeout: 15_000 });
    expect(doc).toContain('prints `INSERT orders {"id":1,"item":"book","user_id":null}`');
  }, 60_000);
});
