// Which entry bin/fluxbase.js runs: the bundle (dist/cli/index.js) when it is at least as
// new as every file under src/ (always, in an installed package, which has no src/), else the
// TypeScript sources (through tsx). Plain
// JavaScript, so the choice costs no loader; tested by test/bin-entry.test.ts.
import { existsSync, readdirSync, statSync } from 'node:fs';

/** Whether some file under `dir` is newer than `time` (a few hundred stats for src/). */
function newerThan(time, dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const url = new URL(entry.isDirectory() ? `${entry.name}/` : entry.name, dir);
    if (entry.isDirectory() ? newerThan(time, url) : statSync(url).mtimeMs > time) return true;
  }
  return false;
}

/**
 * @param {URL} root the package folder (with a trailing slash)
 * @param {Record<string, string | undefined>} env FLUXBASE_FROM_SOURCE=1 forces the sources
 * @returns {{ kind: 'bundle' | 'source', url: URL }}
 */
export function chooseEntry(root, env = process.env) {
  const bundle = new URL('dist/cli/index.js', root);
  const source = { kind: 'source', url: new URL('src/cli/index.ts', root) };
  if (env.FLUXBASE_FROM_SOURCE === '1') return source;
  let built;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return source;
  }
  // An installed package ships no src/ (package.json "files"): always its bundle.
  if (!existsSync(new URL('src/', root))) return { kind: 'bundle', url: bundle };
  return newerThan(built, new URL('src/', root)) ? source : { kind: 'bundle', url: bundle };
}
