// Offline checks of a function's source before deploy, and bundling of a folder
// function's local imports into one module.
//
// checkModule runs `deno check` in a private temp dir with `--no-remote --no-npm`, so it
// never touches the network. Remote specifiers (https:, http:, npm:, jsr:) found in the
// source are mapped by the temp dir's deno.json import map to one local stub module whose
// default export is `any`; diagnostics about the stub (a named import it does not have)
// are dropped, so a module importing remote code checks offline and its own code is
// still type-checked (remote bindings are typed `any`). When Deno still refuses a remote
// specifier the scan missed (e.g. a computed import), the result falls back to a
// syntax-only parse (`deno fmt` on stdin). Only diagnostics located in the function's own
// file get a line and column.
//
// bundleEntry bundles with esbuild, the engine behind `deno bundle`, called in-process:
// `deno bundle` in Deno 2.9 downloads esbuild from npm on first use, which cannot work
// offline. Relative and absolute imports are inlined; every other specifier (remote, npm:,
// jsr:, node:, bare) stays an external import resolved by Deno at run time.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import type { BuildContext } from 'esbuild';
import { resolveDenoBinary } from './deno-binary.ts';

export interface ModuleDiagnostic {
  message: string;
  /** 1-based, in the checked module (or the bundled file named in `file`). */
  line?: number;
  /** 1-based. */
  column?: number;
  /** bundleEntry only: the file the diagnostic is in, when known. */
  file?: string;
}

export type ModuleCheckResult = { ok: true } | { ok: false; diagnostics: ModuleDiagnostic[] };
export type BundleResult = { ok: true; code: string } | { ok: false; diagnostics: ModuleDiagnostic[] };

export interface ModuleToolOptions {
  /** Deno executable; default: the `deno` npm package's binary. */
  denoPath?: string;
  /** Parent of the private temp dir; default os.tmpdir(). */
  tmpRoot?: string;
  /** The check or bundle is abandoned (its process group killed) after this long; default 20_000 ms. */
  timeoutMs?: number;
}

export interface CheckOptions extends ModuleToolOptions {
  /** 'js' (bundled output, plain JavaScript): a syntax check only, as types are gone. Default 'ts'. */
  language?: 'ts' | 'js';
}

const MODULE_FILE = 'function.ts';
const STUB_FILE = 'remote-stub.ts';
const STUB_SOURCE = '// @ts-nocheck\n// Stands in for a remote module while checking offline.\nconst anything: any = undefined;\nexport default anything;\n';
const REMOTE_SPECIFIER = /(["'])((?:https?:\/\/|npm:|jsr:)[^"'\s`]+)\1/g;
const REMOTE_REFUSED = /A remote specifier was requested|is specified|--no-npm|--no-remote|Import '.*' failed|Module not found "(?:https?|npm|jsr):/;
const MAX_TOOL_OUTPUT = 1024 * 1024;
const EMPTY: ModuleCheckResult = { ok: false, diagnostics: [{ message: 'the function code is empty' }] };

export async function checkModule(code: string, options: CheckOptions = {}): Promise<ModuleCheckResult> {
  if (code.trim().length === 0) return EMPTY;
  const denoPath = options.denoPath ?? resolveDenoBinary();
  const timeoutMs = options.timeoutMs ?? 20_000;
  const dir = await mkdtemp(join(options.tmpRoot ?? tmpdir(), 'fluxbase-check-'));
  try {
    if (options.language === 'js') return await syntaxOnly(code, denoPath, dir, timeoutMs, 'js');
    const imports: Record<string, string> = {};
    for (const m of code.matchAll(REMOTE_SPECIFIER)) if (!m[2]!.endsWith('/')) imports[m[2]!] = `./${STUB_FILE}`;
    await writeFile(join(dir, MODULE_FILE), code);
    await writeFile(join(dir, STUB_FILE), STUB_SOURCE);
    // Implicit `any` is allowed: `export default (req) => …` is a working function, not a mistake worth refusing.
    await writeFile(join(dir, 'deno.json'), JSON.stringify({ imports, compilerOptions: { noImplicitAny: false } }));
    const run = await runDeno(denoPath, ['check', '--quiet', '--no-remote', '--no-npm', '--no-lock', '--config', 'deno.json', MODULE_FILE], dir, timeoutMs);
    if (run.timedOut) return { ok: false, diagnostics: [{ message: `checking the module took longer than ${timeoutMs} ms` }] };
    if (run.code === 0) return { ok: true };
    const moduleUrl = `file://${join(dir, MODULE_FILE)}`;
    const all = parseDiagnostics(run.output, moduleUrl).filter((d) => !d.message.includes(STUB_FILE));
    if (all.length === 0) return { ok: true };
    if (all.every((d) => REMOTE_REFUSED.test(d.message))) return syntaxOnly(code, denoPath, dir, timeoutMs);
    return { ok: false, diagnostics: all };
  } finally {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** A parse without resolution or types: `deno fmt` of the source on stdin. */
async function syntaxOnly(code: string, denoPath: string, dir: string, timeoutMs: number, ext: 'ts' | 'js' = 'ts'): Promise<ModuleCheckResult> {
  const run = await runDeno(denoPath, ['fmt', '--ext', ext, '-'], dir, timeoutMs, code);
  if (run.timedOut) return { ok: false, diagnostics: [{ message: `checking the module took longer than ${timeoutMs} ms` }] };
  if (run.code === 0) return { ok: true };
  const diagnostics = parseDiagnostics(run.output, `file://${join(dir, `_stdin.${ext}`)}`);
  return { ok: false, diagnostics: diagnostics.length > 0 ? diagnostics : [{ message: run.output.trim().slice(0, 500) || 'the module could not be parsed' }] };
}

/**
 * Deno's CLI diagnostics: `TS2322 [ERROR]: message` or `error: message`, each followed
 * (after an optional code frame) by `    at file:///…:line:col`. "Type checking failed."
 * is the summary line, not a diagnostic.
 */
export function parseDiagnostics(output: string, moduleUrl: string): ModuleDiagnostic[] {
  const out: ModuleDiagnostic[] = [];
  let current: ModuleDiagnostic | null = null;
  for (const line of output.split('\n')) {
    const head = /^(?:(TS\d+) \[ERROR\]|error): (.*)$/.exec(line);
    if (head !== null) {
      if (current !== null) out.push(current);
      current = head[2] === 'Type checking failed.' ? null : { message: head[1] !== undefined ? `${head[1]}: ${head[2]}` : head[2]! };
      continue;
    }
    const at = /^\s+at (\S+):(\d+):(\d+)\s*$/.exec(line);
    if (at !== null && current !== null) {
      if (at[1] === moduleUrl && current.line === undefined) {
        current.line = Number(at[2]);
        current.column = Number(at[3]);
      }
      out.push(current);
      current = null;
    }
  }
  if (current !== null) out.push(current);
  return out;
}

export async function bundleEntry(entryPath: string, options: ModuleToolOptions = {}): Promise<BundleResult> {
  const entry = resolvePath(entryPath);
  const cwd = dirname(entry);
  const esbuild = await import('esbuild');
  const timeoutMs = options.timeoutMs ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  let ctx: BuildContext | undefined;
  try {
    ctx = await esbuild.context({
      entryPoints: [entry],
      absWorkingDir: cwd,
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'esnext',
      logLevel: 'silent',
      plugins: [{
        name: 'deno-externals',
        setup(build) {
          // Only files on disk are inlined; Deno resolves everything else when the function runs.
          build.onResolve({ filter: /^[^./]/ }, (args) => (args.kind === 'entry-point' ? undefined : { path: args.path, external: true }));
        },
      }],
    });
    const result = await Promise.race([
      ctx.rebuild(),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      }),
    ]);
    if (result === 'timeout') {
      await ctx.cancel();
      return { ok: false, diagnostics: [{ message: `bundling took longer than ${timeoutMs} ms` }] };
    }
    const code = result.outputFiles?.[0]?.text ?? '';
    if (code.trim().length === 0) return { ok: false, diagnostics: [{ message: 'the bundle is empty' }] };
    return { ok: true, code };
  } catch (err) {
    const errors = (err as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
    if (!Array.isArray(errors) || errors.length === 0) return { ok: false, diagnostics: [{ message: (err as Error).message }] };
    return {
      ok: false,
      diagnostics: errors.map((e) => {
        if (!e.location) return { message: e.text };
        const file = resolvePath(cwd, e.location.file);
        return { message: `${file}:${e.location.line}:${e.location.column + 1}: ${e.text}`, line: e.location.line, column: e.location.column + 1, file };
      }),
    };
  } finally {
    clearTimeout(timer);
    await ctx?.dispose();
  }
}

/** Runs a Deno subcommand in its own process group with a clean environment; output (stdout + stderr) capped at 1 MB. */
function runDeno(denoPath: string, args: string[], cwd: string, timeoutMs: number, stdin?: string): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const env = { DENO_DIR: join(cwd, 'deno-dir'), NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };
    const child = spawn(denoPath, args, { cwd, env, detached: true, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    const keep = (c: Buffer) => {
      if (size < MAX_TOOL_OUTPUT) chunks.push(c);
      size += c.length;
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.stdin?.on('error', () => {});
    child.stdin?.end(stdin);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('error', (err) => {
      keep(Buffer.from(`error: could not start Deno: ${err.message}\n`));
      if (child.pid === undefined) for (const s of [child.stdin, child.stdout, child.stderr]) s?.destroy();
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: Buffer.concat(chunks).toString('utf8'), timedOut });
    });
  });
}
