#!/usr/bin/env node
// Runs the bundled server, dist/cli/index.js (built by `npm run build` in this package,
// which `npm install` runs), when it is at least as new as every source file; otherwise
// the TypeScript sources directly through tsx's loader, so an edit is never hidden by a
// stale bundle. The bundle starts faster and idles ~60 MB smaller than the loader
// (bench/README.md, "Idle RSS"). FLUXBASE_FROM_SOURCE=1 forces the sources.
import { chooseEntry } from './entry.js';

const entry = chooseEntry(new URL('../', import.meta.url));
if (entry.kind === 'source') {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry.url.href);
