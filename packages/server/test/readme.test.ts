// The README's quick start, verbatim: the blocks marked `<!-- quick-start -->` are run in
// order, in one shell, in a fresh folder set up as a clone is after `npm install` (its
// node_modules), against `fluxbase serve` started there as `npm start` starts it. Lines
// `# → …` (shell) and `// → …` (TypeScript) are outputs the run must print. A README
// whose first steps fail cannot land.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanEnv, freePort, spawnServer, type ChildServer } from './harness/child-server.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

interface Block {
  lang: string;
  body: string;
}

/** The fenced blocks that follow a `<!-- quick-start ... -->` marker, in order. */
export function quickStartBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const re = /<!-- quick-start[^>]*-->\s*\n```(\w+)\n([\s\S]*?)\n```/g;
  for (const m of markdown.matchAll(re)) blocks.push({ lang: m[1]!, body: m[2]! });
  return blocks;
}

/** One shell script: shell blocks as they are; a TypeScript block written to the file its first line names, then run as it says. */
export function scriptOf(blocks: Block[]): { script: string; expected: string[] } {
  const parts: string[] = ['set -euo pipefail'];
  const expected: string[] = [];
  for (const block of blocks) {
    if (block.lang === 'sh') {
      parts.push(block.body);
      expected.push(...block.body.split('\n').filter((l) => l.startsWith('# → ')).map((l) => l.slice(4)));
    } else if (block.lang === 'ts') {
      const head = /^\/\/ (\S+) — run it with: (.+)$/.exec(block.body.split('\n')[0]!);
      if (!head) throw new Error(`a quick-start TypeScript block must start with "// <file> — run it with: <command>"; got: ${block.body.split('\n')[0]}`);
      parts.push(`cat > ${head[1]} <<'FLUXBASE_README_EOF'\n${block.body}\nFLUXBASE_README_EOF`, head[2]!);
      expected.push(...block.body.split('\n').filter((l) => l.startsWith('// → ')).map((l) => l.slice(5)));
    } else {
      throw new Error(`quick-start block in ${block.lang}: only sh and ts blocks can be run`);
    }
  }
  return { script: parts.join('\n'), expected };
}

let folder: string;
let server: ChildServer;
let port: string;

beforeAll(async () => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-readme-'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(folder, 'node_modules'), 'dir');
  port = String(await freePort());
  server = await spawnServer({ FLUXBASE_SERVER_PORT: port, FLUXBASE_MIGRATIONS_DIR: '' }, { cwd: folder, readyTimeoutMs: 120_000 });
});

afterAll(async () => {
  await server?.stop();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

describe('README quick start', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = quickStartBlocks(readme);

  it('has its runnable blocks marked', () => {
    expect(blocks.map((b) => b.lang)).toEqual(['sh', 'ts']);
  });

  it('runs verbatim against a started server, printing what it says', async () => {
    const { script, expected } = scriptOf(blocks);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    let stdout = '';
    let stderr = '';
    try {
      ({ stdout, stderr } = await promisify(execFile)('bash', ['-c', script], {
        cwd: folder, env: { ...cleanEnv(), FLUXBASE_SERVER_PORT: port }, maxBuffer: 10 * 1024 * 1024,
      }));
    } catch (err) {
      const e = err as { stdout: string; stderr: string; code: number };
      throw new Error(`the quick start failed (exit ${e.code}):\n${e.stdout}\n${e.stderr}\nserver:\n${server.output().slice(-3000)}`);
    }
    const lines = stdout.split('\n');
    for (const line of expected) expect(lines, `output of the quick start:\n${stdout}\n${stderr}`).toContain(line);
  });
});
