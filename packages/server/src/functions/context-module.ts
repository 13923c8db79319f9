// The part of a handler's context that cannot travel as JSON (API.md §11.1; docs/functions.md
// "The context"): `fluxbase` (the SDK acting as the caller: their token, so RLS applies) and
// `fluxbaseService` (the SDK with the execution-scoped service-role token), created on first
// use and sending the invocation's `traceparent` when there is one (docs/tracing.md), plus
// `reportProgress` and `isCancelled` (no-ops for HTTP invocations; jobs give them meaning).
// Written once per server start to `<data dir>/deno/fluxbase-context-<hash>.js`: the SDK
// bundled into one ES module by esbuild, loaded by every bootstrap (runtime/handler-source.ts).
// A stable path lets Deno reuse its compiled code.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildSync } from 'esbuild';

const SOURCE = (sdk: string) => `
import { createClient } from ${JSON.stringify(sdk)};
const OPTIONS = { auth: { persistSession: false, autoRefreshToken: false, retryOnExpiredToken: false } };
function traceparent() {
  // Set (and readable) only when the server traces or the caller sent one (docs/tracing.md).
  try { return Deno.env.get("TRACEPARENT"); } catch { return undefined; }
}
function client(token) {
  const url = Deno.env.get("FLUXBASE_URL");
  if (!url || !token) return undefined;
  const tp = traceparent();
  return createClient(url, token, { ...OPTIONS, headers: { Authorization: "Bearer " + token, ...(tp ? { traceparent: tp } : {}) } });
}
export default function complete(context) {
  let user, service;
  return Object.assign(context, {
    get fluxbase() { return (user ??= client(Deno.env.get("FLUXBASE_USER_TOKEN"))); },
    get fluxbaseService() { return (service ??= client(Deno.env.get("FLUXBASE_SERVICE_TOKEN"))); },
    reportProgress() {},
    isCancelled() { return false; },
  });
}
`;

/** Write the context module under `dir`, or say why not (the SDK is not installed). */
export function writeContextModule(dir: string): { path: string } | { error: string } {
  let sdk: string;
  try {
    sdk = createRequire(import.meta.url).resolve('@fluxbase/sdk');
  } catch {
    try {
      sdk = new URL(import.meta.resolve('@fluxbase/sdk')).pathname;
    } catch (err) {
      return { error: `the @fluxbase/sdk package is not installed (${(err as Error).message}); context.fluxbase is unavailable` };
    }
  }
  // Synchronous (about 50 ms, once per start) so the runtime is complete when the app is built.
  const out = buildSync({
    stdin: { contents: SOURCE(sdk), resolveDir: path.dirname(sdk), loader: 'js' },
    bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', write: false, logLevel: 'silent', mainFields: ['module', 'main'],
  });
  const code = out.outputFiles[0]!.text;
  const file = path.join(dir, `fluxbase-context-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.js`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, code);
  return { path: file };
}
