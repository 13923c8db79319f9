// bin/fluxbase.js runs the bundle only when no source file is newer than it (an edit is
// never hidden by a stale build), and the sources when asked to or when there is no bundle.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
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
