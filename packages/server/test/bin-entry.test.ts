// bin/fluxbase.js runs the bundle only when no source file is newer than it (an edit is
// never hidden by a stale build), and the sources when asked to or when there is no bundle.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

type Choice = { kind: 'bundle' | 'source'; url: URL };
// bin/ is plain JavaScript (it runs before any TypeScript loader), without type declarations.
const { chooseEntry: choose } = (await import(new URL('../bin/entry.js', import.meta.url).href)) as {
  chooseEntry: (root: URL, env?: Record<string, string | undefined>) => Choice;
};

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A package folder with src/cli/index.ts, src/db/pool.ts and optionally dist/cli/index.js, at given mtimes (seconds). */
function layout(times: { source: number; nested: number; bundle?: number }): URL {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-bin-'));
  const file = (rel: string, t: number) => {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, '');
    utimesSync(p, t, t);
  };
  file('src/cli/index.ts', times.source);
  file('src/db/pool.ts', times.nested);
  if (times.bundle !== undefined) file('dist/cli/index.js', times.bundle);
  return pathToFileURL(`${dir}/`);
}

describe('bin entry choice', () => {
  it('runs the bundle when it is newer than every source file', () => {
    const root = layout({ source: 1_000, nested: 2_000, bundle: 3_000 });
    expect(choose(root, {})).toEqual({ kind: 'bundle', url: new URL('dist/cli/index.js', root) });
  });

  it('runs the sources when any file, however deep, is newer than the bundle', () => {
    const root = layout({ source: 1_000, nested: 4_000, bundle: 3_000 });
    expect(choose(root, {})).toEqual({ kind: 'source', url: new URL('src/cli/index.ts', root) });
  });

  it('runs the sources without a bundle, or when FLUXBASE_FROM_SOURCE=1', () => {
    expect(choose(layout({ source: 1_000, nested: 1_000 }), {}).kind).toBe('source');
    rmSync(dir, { recursive: true, force: true });
    expect(choose(layout({ source: 1_000, nested: 1_000, bundle: 3_000 }), { FLUXBASE_FROM_SOURCE: '1' }).kind).toBe('source');
  });
});

describe('installed package', () => {
  it('runs the bundle when there is no src/ (npm pack ships bin, dist and migrations only)', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-bin-'));
    mkdirSync(path.join(dir, 'dist', 'cli'), { recursive: true });
    writeFileSync(path.join(dir, 'dist', 'cli', 'index.js'), '');
    const root = pathToFileURL(`${dir}/`);
    expect(choose(root, {})).toEqual({ kind: 'bundle', url: new URL('dist/cli/index.js', root) });
  });
});

describe('the bundle (dist/, built by npm install)', () => {
  const DIST = new URL('../dist/', import.meta.url);
  /** The files an entry loads at start: itself and what it imports statically, transitively (not `import()`). */
  function staticGraph(entry: URL, seen = new Map<string, string>()): Map<string, string> {
    if (seen.has(entry.href)) return seen;
    const text = readFileSync(entry, 'utf8');
    seen.set(entry.href, text);
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s*"(\.[^"]+)"|^import\s*"(\.[^"]+)"/gm)) {
      staticGraph(new URL(m[1] ?? m[2]!, entry), seen);
    }
    return seen;
  }

  it.each(['lib/index.js', 'cli/index.js'])('%s loads no OpenTelemetry module at start (tracing off costs nothing); the SDK sits in a lazy chunk', (entry) => {
    const graph = staticGraph(new URL(entry, DIST));
    expect(graph.size).toBeGreaterThan(1);
    for (const [file, text] of graph) expect(text, file).not.toMatch(/from\s*"@opentelemetry\//);
    const all = [...graph.values()].join('\n');
    expect(all).toMatch(/import\("\.\.\/chunks\/otel-tracing-[A-Z0-9]+\.js"\)|import\("\.\/otel-tracing-[A-Z0-9]+\.js"\)/);
  });

  it('carries the patched postgres.js driver inside (an installed copy would fetch it unpatched)', () => {
    const graph = staticGraph(new URL('lib/index.js', DIST));
    const all = [...graph.values()].join('\n');
    expect(all).not.toMatch(/from\s*"postgres"/);
    // The write guard that patches/postgres+3.4.9.patch adds to connection.js (absent upstream).
    expect(all).toMatch(/if \(socket === null\) \{\s*clearImmediate\(nextWriteTimer\);/);
  });
});
