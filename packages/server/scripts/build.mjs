// `npm run build` (run by `npm install` and before `npm pack`): bundle the CLI and the library
// into dist/. Every dependency stays external except postgres.js, so the bundle carries the
// patched driver (patches/postgres+3.4.9.patch, applied by patch-package in this repository)
// that a user's `npm install` would otherwise fetch unpatched (docs/operations.md "The database driver").
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
await build({
  absWorkingDir: new URL('.', root).pathname,
  entryPoints: { 'cli/index': 'src/cli/index.ts', 'lib/index': 'src/index.ts' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'dist',
  // Dynamic imports stay lazy: with tracing off, the OpenTelemetry SDK (observability/otel-tracing.ts)
  // is never loaded. Chunks sit one level below dist/, as deep as lib/ and cli/, so the paths a
  // module resolves from its own URL (../../migrations, ../../package.json) hold in every file.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  external: Object.keys(pkg.dependencies).filter((name) => name !== 'postgres'),
});
