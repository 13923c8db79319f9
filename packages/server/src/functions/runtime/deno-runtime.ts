// DenoRuntime: one Deno process per invocation, in its own process group, from a private
// temp dir that is removed on every path (hardening 1.6). The wall-clock timeout kills the
// whole group; captured output is capped per stream; the response travels through a
// private file (bootstrap-source.ts), separate from the function's console output.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BOOTSTRAP_FILE, bootstrapSource, moduleSource, PRELUDE_FILE, preludeSource, RESPONSE_FILE, USER_MODULE_FILE } from './bootstrap-source.ts';
import { resolveDenoBinary } from './deno-binary.ts';
import { OutputCapture } from './output-capture.ts';
import { responseTooLarge } from './warm-frames.ts';
import { denoArgs } from './permission-flags.ts';
import { failureFor, type FunctionErrorReason, type FunctionRuntime, FunctionRuntimeError, type InvokeInput, type InvokeResult } from './types.ts';

export interface DenoRuntimeOptions {
  /** Deno executable; default: the `deno` npm package's binary (resolved once, lazily). */
  denoPath?: string;
  /** Parent of the per-invocation temp dirs; default os.tmpdir(). Each dir holds the module, bootstrap, response and DENO_DIR. */
  tmpRoot?: string;
  /** Shared DENO_DIR (e.g. `<data dir>/deno`) to reuse the module cache; default: inside each invocation's temp dir. */
  denoDir?: string;
  /** A module whose default export completes the handler context (handler-source.ts); loaded only by code that mentions `fluxbase`. Default none. */
  contextModule?: string | undefined;
  /**
   * Where each module version and its bootstrap are written once (by content hash) instead of
   * into every invocation's dir, so Deno's caches hit on later runs (bench/README.md
   * "Functions"). Default none: everything per invocation.
   */
  codeDir?: string | undefined;
}

/** Room for the response file's JSON head line beyond the body limit. */
const MAX_HEAD_BYTES = 1024 * 1024;
const OOM_PATTERN = /out of memory|Reached heap limit|heap out of memory/i;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError: Error | null;
}

export class DenoRuntime implements FunctionRuntime {
  private denoPath: string | undefined;
  private codeDirReady = false;
  private readonly names = new Map<string, Map<string, { files: [string, string][] }>>();

  constructor(private readonly options: DenoRuntimeOptions = {}) {
    this.denoPath = options.denoPath;
  }

  async invoke(input: InvokeInput): Promise<InvokeResult> {
    const started = performance.now();
    const stdout = new OutputCapture(input.limits.maxOutputBytes);
    const stderr = new OutputCapture(input.limits.maxOutputBytes);
    const fail = failureFor(stdout, stderr, started);

    let dir: string | undefined;
    try {
      dir = await mkdtemp(join(this.options.tmpRoot ?? tmpdir(), 'fluxbase-fn-'));
      const responsePath = join(dir, RESPONSE_FILE);
      const bootstrapPath = await this.writeModule(dir, input);
      let denoPath: string;
      let args: string[];
      try {
        denoPath = this.denoPath ??= resolveDenoBinary();
        args = denoArgs(input.permissions, input.limits, responsePath, bootstrapPath);
      } catch (err) {
        throw fail('FUNCTION_ERROR', 'spawn_failed', (err as Error).message);
      }
      const env = { ...input.env, DENO_DIR: this.options.denoDir ?? join(dir, 'deno-dir'), NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };
      const { exit, timedOut, bodyError, cancelled } = await runProcess(denoPath, args, dir, env, input, responsePath, stdout, stderr);
      const ms = () => Math.round(performance.now() - started);

      if (exit.spawnError !== null) throw fail('FUNCTION_ERROR', 'spawn_failed', `could not start Deno: ${exit.spawnError.message}`);
      if (cancelled) throw fail('FUNCTION_ERROR', 'cancelled', 'the invocation was cancelled', exit.code);
      if (timedOut) throw fail('FUNCTION_TIMEOUT', 'timeout', `function exceeded its ${input.limits.timeoutMs} ms timeout`);
      if (bodyError) throw fail('FUNCTION_ERROR', 'exit', `the request body failed midway (${bodyError}), so the function was stopped`, exit.code);
      if (OOM_PATTERN.test(stderr.tail())) throw fail('FUNCTION_ERROR', 'out_of_memory', `function exceeded its ${input.limits.memoryMb} MB memory limit`, exit.code);

      // A body over functions.max_response_size is refused before it is read (the head line is small).
      const max = input.limits.maxResponseBytes;
      const size = await stat(responsePath).then((st) => st.size, () => 0);
      if (max !== undefined && size > max + MAX_HEAD_BYTES) throw fail('FUNCTION_ERROR', 'invalid_response', responseTooLarge(size, max), exit.code);
      const frame = await readFile(responsePath).catch(() => Buffer.alloc(0));
      const nl = frame.indexOf(10);
      if (nl < 0) {
        const how = exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
        const reason = lastLine(stderr.tail());
        throw fail('FUNCTION_ERROR', 'exit', `function exited with ${how} before responding${reason ? `: ${reason}` : ''}`, exit.code);
      }
      const head = parseHead(frame.subarray(0, nl).toString('utf8'));
      if (head === null) throw fail('FUNCTION_ERROR', 'invalid_response', 'the function response frame is malformed', exit.code);
      if ('error' in head) {
        const reason: FunctionErrorReason = head.error.kind === 'invalid_response' ? 'invalid_response' : 'exception';
        throw fail('FUNCTION_ERROR', reason, `${head.error.name}: ${head.error.message}`, exit.code);
      }
      const body = frame.subarray(nl + 1);
      if (max !== undefined && body.length > max) throw fail('FUNCTION_ERROR', 'invalid_response', responseTooLarge(body.length, max), exit.code);
      return {
        status: head.status,
        headers: head.headers,
        body: Buffer.from(body),
        stdout: stdout.text(),
        stderr: stderr.text(),
        truncated: { stdout: stdout.truncated, stderr: stderr.truncated },
        durationMs: ms(),
      };
    } catch (err) {
      if (err instanceof FunctionRuntimeError) throw err;
      throw fail('FUNCTION_ERROR', 'spawn_failed', `could not prepare the invocation: ${(err as Error).message}`);
    } finally {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    }
  }

  /** Writes the prelude, the module and its bootstrap (bootstrap-source.ts); returns the bootstrap's path. */
  private async writeModule(dir: string, input: InvokeInput): Promise<string> {
    const revokeWrite = !input.permissions.write;
    const context = this.options.contextModule !== undefined && input.code.includes('fluxbase') ? this.options.contextModule : undefined;
    const codeDir = this.options.codeDir;
    if (codeDir === undefined) {
      await writeFile(join(dir, PRELUDE_FILE), preludeSource(revokeWrite, context));
      await writeFile(join(dir, USER_MODULE_FILE), moduleSource(input.code));
      await writeFile(join(dir, BOOTSTRAP_FILE), bootstrapSource());
      return join(dir, BOOTSTRAP_FILE);
    }
    if (!this.codeDirReady) {
      await mkdir(codeDir, { recursive: true, mode: 0o700 });
      this.codeDirReady = true;
    }
    // Every file is named by the hash of its whole content, so a name always means the same
    // bytes (across module versions, variants and Fluxbase releases); the names of one module
    // text are remembered so a large module is hashed once.
    const key = `${revokeWrite ? 'r' : 'w'}${context ?? ''}`;
    let names = this.names.get(input.code)?.get(key);
    if (names === undefined) {
      const prelude = preludeSource(revokeWrite, context);
      const preludeName = `p-${digest(prelude)}.ts`;
      const module = moduleSource(input.code, `./${preludeName}`);
      const moduleName = `m-${digest(module)}.ts`;
      const main = bootstrapSource(`./${moduleName}`);
      names = { files: [[preludeName, prelude], [moduleName, module], [`b-${digest(main)}.ts`, main]] };
      if (this.names.size > 1000) this.names.clear();
      this.names.set(input.code, (this.names.get(input.code) ?? new Map()).set(key, names));
    }
    for (const [name, content] of names.files) await writeOnce(join(codeDir, name), content);
    return join(codeDir, names.files[2]![0]);
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/**
 * Content-addressed file writes: written when missing (a concurrent writer renames the same
 * bytes into place), else touched, so pruneCodeDir removes only what no invocation used lately.
 */
async function writeOnce(path: string, content: string): Promise<void> {
  const now = new Date();
  const touched = await utimes(path, now, now).then(() => true, () => false);
  if (touched) return;
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}

/** Removes code-cache files untouched for `maxAgeMs` (run hourly by the functions service). */
export async function pruneCodeDir(codeDir: string, maxAgeMs: number): Promise<number> {
  const names = await readdir(codeDir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const file = join(codeDir, name);
    const st = await stat(file).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > maxAgeMs) {
      await rm(file, { force: true });
      removed++;
    }
  }
  return removed;
}

type Head = { status: number; headers: [string, string][] } | { error: { kind: string; name: string; message: string } };

function parseHead(line: string): Head | null {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    if (typeof v.error === 'object' && v.error !== null) {
      const e = v.error as Record<string, unknown>;
      return { error: { kind: String(e.kind), name: String(e.name), message: String(e.message) } };
    }
    const okHeaders = Array.isArray(v.headers) && v.headers.every((h) => Array.isArray(h) && h.length === 2 && h.every((s) => typeof s === 'string'));
    if (typeof v.status === 'number' && Number.isInteger(v.status) && v.status >= 200 && v.status <= 599 && okHeaders) {
      return { status: v.status, headers: v.headers as [string, string][] };
    }
    return null;
  } catch {
    return null;
  }
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  return (lines.find((l) => l.startsWith('error:')) ?? lines.at(-1) ?? '').slice(0, 500);
}

/** Spawns Deno detached (own process group), feeds the request, drains output, and settles once every pipe has closed. */
function runProcess(
  denoPath: string, args: string[], cwd: string, env: Record<string, string>, input: InvokeInput, responsePath: string, stdout: OutputCapture, stderr: OutputCapture,
): Promise<{ exit: Exit; timedOut: boolean; bodyError?: string | null; cancelled?: boolean }> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(denoPath, args, { cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ exit: { code: null, signal: null, spawnError: err as Error }, timedOut: false });
      return;
    }
    let timedOut = false;
    let spawnError: Error | null = null;
    let bodyError: string | null = null;
    let cancelled = false;
    const killGroup = () => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, input.limits.timeoutMs);
    const onAbort = () => {
      cancelled = true;
      killGroup();
    };
    if (input.signal?.aborted) queueMicrotask(onAbort);
    else input.signal?.addEventListener('abort', onAbort, { once: true });
    // The prelude's pending read on stdin sees this byte and sets the cancelled flag.
    const onInterrupt = () => {
      if (!(input.request.body instanceof Readable) && child.stdin?.writable) child.stdin.write('\n');
    };
    if (input.interrupt?.aborted) queueMicrotask(onInterrupt);
    else input.interrupt?.addEventListener('abort', onInterrupt, { once: true });
    const onOutput = input.onOutput;
    child.stdout?.on('data', (c: Buffer) => { stdout.push(c); onOutput?.('stdout', c); });
    child.stderr?.on('data', (c: Buffer) => { stderr.push(c); onOutput?.('stderr', c); });
    child.stdin?.on('error', () => {}); // EPIPE when the child exits without reading
    child.on('error', (err) => {
      spawnError = err;
      if (child.pid === undefined) {
        for (const s of [child.stdin, child.stdout, child.stderr]) s?.destroy();
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin?.destroy();
      input.signal?.removeEventListener('abort', onAbort);
      input.interrupt?.removeEventListener('abort', onInterrupt);
      resolve({ exit: { code, signal, spawnError }, timedOut, bodyError, cancelled });
    });
    if (child.stdin !== null) {
      const { method, url, headers, body } = input.request;
      const head = { method, url, headers, context: input.context ?? {}, response: responsePath };
      if (body instanceof Readable) {
        child.stdin.write(`${JSON.stringify({ ...head, stream: true })}\n`);
        // A body that fails midway (the client went away, a size limit) stops the function:
        // on stdin it would look complete. Once the process has ended, the rest is drained.
        const cut = (why: string) => {
          bodyError ??= why;
          killGroup();
        };
        body.once('error', (e) => cut(e.message));
        body.once('close', () => { if (!body.readableEnded) cut('it ended early'); });
        body.pipe(child.stdin);
        child.once('close', () => { body.unpipe(child.stdin!); body.on('error', () => {}); body.resume(); });
      } else {
        const bytes = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
        // stdin stays open (destroyed on close, below): the bootstrap's pending read on it keeps
        // the process alive while the handler runs, cheaper than a timer.
        child.stdin.write(`${JSON.stringify({ ...head, length: bytes.length })}\n`);
        if (bytes.length > 0) child.stdin.write(bytes);
      }
    }
  });
}
