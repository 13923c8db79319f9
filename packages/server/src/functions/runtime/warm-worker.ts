// One warm worker: a long-lived Deno process (own process group) serving one request at
// a time over a Unix socket in its private temp dir (warm-bootstrap-source.ts). The
// worker enforces the per-request limits exactly as DenoRuntime does: the wall-clock
// timeout kills the whole group; a crash, Deno.exit or V8 heap exhaustion ends the
// worker and is classified from its exit and stderr tail. `stop()` releases the process,
// socket, listening server, pipes and temp dir, on every path, and is idempotent.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { USER_MODULE_FILE } from './bootstrap-source.ts';
import { OutputCapture } from './output-capture.ts';
import { denoArgs } from './permission-flags.ts';
import { failureFor, type FunctionErrorReason, type FunctionLimits, type FunctionPermissions, type FunctionRuntimeError, type InvokeInput, type InvokeResult, type StreamEnd } from './types.ts';
import { outputMarker, WARM_BOOTSTRAP_FILE, warmBootstrapSource } from './warm-bootstrap-source.ts';
import { FrameReader, pumpRequestBody, responseTooLarge, type WarmResponseHead, writeFrame } from './warm-frames.ts';
import { MarkedStream } from './warm-output.ts';

const OOM_PATTERN = /out of memory|Reached heap limit|heap out of memory/i;
/** sockaddr_un.sun_path is 108 bytes on Linux (104 on macOS). */
const MAX_SOCKET_PATH = 100;

/** Why a worker left the pool (the `reason` of a `recycle` event). */
export type RecycleReason = 'idle' | 'max_requests' | 'memory' | 'evicted' | 'crashed' | 'timeout' | 'closed';

export interface WarmWorkerSpec {
  code: string;
  permissions: FunctionPermissions;
  limits: FunctionLimits;
  denoPath: string;
  tmpRoot: string;
  denoDir?: string;
  contextModule?: string | undefined;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError: Error | null;
}

type Outcome = { kind: 'frame'; head: WarmResponseHead; body: Buffer } | { kind: 'gone' } | { kind: 'malformed' };

export class WarmWorker {
  state: 'idle' | 'busy' | 'dead' = 'busy';
  requests = 0;
  lastUsed: number;
  /** Set when the worker must not serve again (it is or will be stopped). */
  retireReason: RecycleReason | null = null;
  /** Called once when the process ends while the worker is idle (e.g. a timer calling Deno.exit). */
  onIdleExit: (() => void) | null = null;

  private started: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private dir: string | undefined;
  private child: ChildProcess | undefined;
  private server: Server | undefined;
  private socket: Socket | null = null;
  private connected: Promise<Socket | null> = Promise.resolve(null);
  private exit: Exit | null = null;
  private exited: Promise<Exit> = Promise.resolve({ code: null, signal: null, spawnError: null });
  private readonly reader: FrameReader;
  private frameWaiter: (() => void) | null = null;
  private socketClosed = false;
  private readonly out = new MarkedStream();
  private readonly err = new MarkedStream();
  /** The current request's streamed body, until the response is complete. */
  private bodyPump: { finish(): void } | null = null;

  /** `key` is the caller's key (events, stats); `poolKey` adds the hash of everything that must match for reuse. */
  constructor(readonly key: string, readonly poolKey: string, private readonly spec: WarmWorkerSpec, now: number) {
    this.lastUsed = now;
    this.reader = new FrameReader(spec.limits.maxResponseBytes);
  }

  /** False once the process has exited (or never started). */
  get alive(): boolean {
    return this.child?.pid !== undefined && this.exit === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Runs one request; the worker must be `busy` (the pool marks it). Throws FunctionRuntimeError like DenoRuntime. */
  async run(input: InvokeInput): Promise<InvokeResult> {
    const started = performance.now();
    const stdout = new OutputCapture(input.limits.maxOutputBytes);
    const stderr = new OutputCapture(input.limits.maxOutputBytes);
    const fail = failureFor(stdout, stderr, started);
    const nonce = randomBytes(16).toString('hex');
    this.requests += 1;
    this.out.begin(stdout, outputMarker(nonce));
    this.err.begin(stderr, outputMarker(nonce));
    let timedOut = false;
    let streaming = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.killGroup();
    }, input.limits.timeoutMs);
    try {
      try {
        // stop() may have run between the pool's acquire and this call; then nothing may be created.
        if (this.stopping !== null) throw new Error('the warm pool is closed');
        await (this.started ??= this.start());
      } catch (e) {
        this.retireReason = 'crashed';
        throw fail('FUNCTION_ERROR', 'spawn_failed', (e as Error).message);
      }
      if (timedOut) this.killGroup(); // the timer fired before there was a process to kill
      const outcome = await this.exchange(input, nonce);
      if (outcome.kind === 'frame' && 'status' in outcome.head && outcome.head.stream === true) {
        streaming = true;
        return this.streamRest(outcome.head, outcome.body, { input, started, stdout, stderr, fail, timer, timedOut: () => timedOut });
      }
      if (outcome.kind === 'frame') {
        const { head, body } = outcome;
        if ('chunk' in head || 'end' in head) {
          this.retireReason = 'crashed';
          this.killGroup();
          await this.exited;
          throw fail('FUNCTION_ERROR', 'invalid_response', 'the function response frame is malformed');
        }
        await Promise.race([
          Promise.all([head.marks.stdout ? this.out.markerSeen() : null, head.marks.stderr ? this.err.markerSeen() : null]),
          this.exited,
        ]);
        if (!timedOut) {
          this.out.end();
          this.err.end();
          if (head.retire) this.retireReason = 'crashed';
          if ('error' in head) {
            const reason: FunctionErrorReason = head.error.kind === 'invalid_response' ? 'invalid_response' : 'exception';
            throw fail('FUNCTION_ERROR', reason, `${head.error.name}: ${head.error.message}`);
          }
          return { status: head.status, headers: head.headers, body, stdout: stdout.text(), stderr: stderr.text(), truncated: { stdout: stdout.truncated, stderr: stderr.truncated }, durationMs: Math.round(performance.now() - started) };
        }
      }
      if (outcome.kind === 'malformed') {
        this.retireReason = 'crashed';
        this.killGroup();
        await this.exited;
        throw fail('FUNCTION_ERROR', 'invalid_response', this.reader.error ?? 'the function response frame is malformed');
      }
      // The process is gone (or going): wait until every pipe has closed, then classify as DenoRuntime does.
      this.killGroup();
      const exit = await this.exited;
      this.out.end();
      this.err.end();
      if (exit.spawnError !== null) {
        this.retireReason = 'crashed';
        throw fail('FUNCTION_ERROR', 'spawn_failed', `could not start Deno: ${exit.spawnError.message}`);
      }
      if (timedOut) {
        this.retireReason = 'timeout';
        throw fail('FUNCTION_TIMEOUT', 'timeout', `function exceeded its ${input.limits.timeoutMs} ms timeout`);
      }
      if (OOM_PATTERN.test(stderr.tail())) {
        this.retireReason = 'memory';
        throw fail('FUNCTION_ERROR', 'out_of_memory', `function exceeded its ${input.limits.memoryMb} MB memory limit`, exit.code);
      }
      this.retireReason = 'crashed';
      const how = exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
      const why = lastLine(stderr.tail());
      throw fail('FUNCTION_ERROR', 'exit', `function exited with ${how} before responding${why ? `: ${why}` : ''}`, exit.code);
    } finally {
      // A streamed response keeps the timer and the capture until its end (streamRest).
      if (!streaming) {
        this.finishBody();
        clearTimeout(timer);
        this.out.end();
        this.err.end();
      }
    }
  }

  /**
   * The rest of a streamed response: chunk frames go to `stream` as they come, until the end
   * frame; the timeout, functions.max_response_size and the output capture cover the whole
   * stream. Destroying `stream` (the client went away) kills the worker.
   */
  private streamRest(
    head: { status: number; headers: [string, string][] }, first: Buffer,
    ctx: { input: InvokeInput; started: number; stdout: OutputCapture; stderr: OutputCapture; fail: ReturnType<typeof failureFor>; timer: NodeJS.Timeout; timedOut: () => boolean },
  ): InvokeResult {
    const { input, fail } = ctx;
    const stream = new PassThrough();
    const max = input.limits.maxResponseBytes ?? Number.MAX_SAFE_INTEGER;
    let total = first.length;
    let ended = false;
    let abandoned = false;
    stream.on('close', () => {
      if (ended) return;
      abandoned = true;
      this.retireReason = 'crashed';
      this.killGroup();
    });
    const stop = async (reason: RecycleReason): Promise<void> => {
      this.retireReason = reason;
      this.killGroup();
      await this.exited;
    };
    const done = (async (): Promise<StreamEnd> => {
      let error: FunctionRuntimeError | undefined;
      try {
        for (;;) {
          const o = await this.waitFrame();
          if (o.kind === 'frame' && 'chunk' in o.head) {
            total += o.body.length;
            if (total > max) {
              await stop('crashed');
              error = fail('FUNCTION_ERROR', 'invalid_response', responseTooLarge(total, max));
              break;
            }
            if (!stream.destroyed) stream.write(o.body);
            continue;
          }
          if (o.kind === 'frame' && 'end' in o.head) {
            const h = o.head;
            await Promise.race([Promise.all([h.marks.stdout ? this.out.markerSeen() : null, h.marks.stderr ? this.err.markerSeen() : null]), this.exited]);
            if (h.retire) this.retireReason = 'crashed';
            if (h.error) error = fail('FUNCTION_ERROR', 'exception', `${h.error.name}: ${h.error.message}`);
            break;
          }
          // The process went away (a timeout, the client, a crash) or sent nonsense.
          await stop(ctx.timedOut() ? 'timeout' : 'crashed');
          if (abandoned) break;
          error = ctx.timedOut()
            ? fail('FUNCTION_TIMEOUT', 'timeout', `function exceeded its ${input.limits.timeoutMs} ms timeout while streaming its response`)
            : OOM_PATTERN.test(ctx.stderr.tail())
              ? fail('FUNCTION_ERROR', 'out_of_memory', `function exceeded its ${input.limits.memoryMb} MB memory limit`)
              : fail('FUNCTION_ERROR', o.kind === 'malformed' ? 'invalid_response' : 'exit', 'the function stopped before its response ended');
          break;
        }
      } finally {
        ended = true;
        this.finishBody();
        clearTimeout(ctx.timer);
        this.out.end();
        this.err.end();
      }
      // The client sees the connection cut when the body failed midway (the status was sent).
      if (error) stream.destroy(error);
      else stream.end();
      return {
        stdout: ctx.stdout.text(), stderr: ctx.stderr.text(), truncated: { stdout: ctx.stdout.truncated, stderr: ctx.stderr.truncated },
        durationMs: Math.round(performance.now() - ctx.started), ...(error ? { error } : {}),
      };
    })();
    if (first.length > max) stream.destroy();
    else stream.write(first);
    return {
      status: head.status, headers: head.headers, body: Buffer.alloc(0), stream, done,
      stdout: '', stderr: '', truncated: { stdout: false, stderr: false }, durationMs: Math.round(performance.now() - ctx.started),
    };
  }

  /** The process's resident set in MB (Linux /proc), or null when unknown. */
  async rssMb(): Promise<number | null> {
    if (this.child?.pid === undefined || this.exit !== null) return null;
    try {
      const status = await readFile(`/proc/${this.child.pid}/status`, 'utf8');
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      return m ? Number(m[1]) / 1024 : null;
    } catch {
      return null;
    }
  }

  /** Kills the process group and releases the socket, server, pipes and temp dir; idempotent. */
  stop(): Promise<void> {
    return (this.stopping ??= this.release());
  }

  private async release(): Promise<void> {
    this.state = 'dead';
    // A start still in flight must finish creating what it creates before it can be released.
    await this.started?.catch(() => {});
    this.killGroup();
    await this.exited;
    this.socket?.destroy();
    if (this.server?.listening) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    if (this.dir !== undefined) await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }

  private async start(): Promise<void> {
    const { spec } = this;
    this.dir = await mkdtemp(join(spec.tmpRoot, 'fluxbase-warm-'));
    const socketPath = join(this.dir, 'sock');
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) throw new Error(`the warm worker socket path ${socketPath} is too long; use a shorter tmpRoot`);
    const bootstrapPath = join(this.dir, WARM_BOOTSTRAP_FILE);
    const net = spec.permissions.net === true ? true : [...(Array.isArray(spec.permissions.net) ? spec.permissions.net : []), `unix:${socketPath}`];
    const args = denoArgs({ ...spec.permissions, net }, spec.limits, socketPath, bootstrapPath);
    if (!spec.permissions.read) args.splice(args.length - 1, 0, `--allow-read=${socketPath}`);
    await writeFile(join(this.dir, USER_MODULE_FILE), spec.code);
    await writeFile(bootstrapPath, warmBootstrapSource({
      socketPath,
      revoke: { net: spec.permissions.net !== true, read: !spec.permissions.read, write: !spec.permissions.write },
      envNames: spec.permissions.env,
      contextModule: spec.contextModule,
    }));
    const server = createServer();
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    server.on('error', () => {});
    const env = { DENO_DIR: spec.denoDir ?? join(this.dir, 'deno-dir'), NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };
    const child = spawn(spec.denoPath, args, { cwd: this.dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let spawnError: Error | null = null;
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.exit = { code, signal, spawnError };
        if (server.listening) server.close();
        resolve(this.exit);
        if (this.state === 'idle') this.onIdleExit?.();
      });
    });
    child.on('error', (e) => {
      spawnError = e;
      if (child.pid === undefined) for (const s of [child.stdout, child.stderr]) s?.destroy();
    });
    child.stdout?.on('data', (c: Buffer) => this.out.push(c));
    child.stderr?.on('data', (c: Buffer) => this.err.push(c));
    // Exactly one connection is accepted (the bootstrap's); then the server stops listening.
    this.connected = new Promise((resolve) => {
      server.once('connection', (socket) => {
        server.close();
        this.socket = socket;
        socket.on('data', (c: Buffer) => {
          this.reader.push(c);
          this.frameWaiter?.();
        });
        socket.on('error', () => {});
        socket.on('close', () => {
          this.socketClosed = true;
          this.frameWaiter?.();
        });
        resolve(socket);
      });
      void this.exited.then(() => resolve(null));
    });
  }

  private async exchange(input: InvokeInput, nonce: string): Promise<Outcome> {
    const socket = await this.connected;
    if (socket === null || this.socketClosed) return { kind: 'gone' };
    const { method, url, headers, body } = input.request;
    const env: Record<string, string> = {};
    for (const name of input.permissions.env) if (Object.hasOwn(input.env, name)) env[name] = input.env[name]!;
    const head = { method, url, headers, context: input.context ?? {}, env, nonce };
    if (body instanceof Readable) {
      writeFrame(socket, { ...head, stream: true }, Buffer.alloc(0));
      this.bodyPump = pumpRequestBody(socket, body);
    } else {
      writeFrame(socket, head, body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    }
    return this.waitFrame();
  }

  /** The response is complete (or will never come): a body still streaming is ended for the worker and detached. */
  private finishBody(): void {
    this.bodyPump?.finish();
    this.bodyPump = null;
  }

  /** The next frame from the worker, or why none will come. */
  private waitFrame(): Promise<Outcome> {
    return new Promise((resolve) => {
      const check = () => {
        const frame = this.reader.next();
        if (frame !== null) resolve({ kind: 'frame', ...frame });
        else if (this.reader.error !== null) resolve({ kind: 'malformed' });
        else if (this.socketClosed) resolve({ kind: 'gone' });
        else return;
        this.frameWaiter = null;
      };
      this.frameWaiter = check;
      check();
    });
  }

  private killGroup(): void {
    const child = this.child;
    if (child?.pid === undefined || this.exit !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  return (lines.find((l) => l.startsWith('error:')) ?? lines.at(-1) ?? '').slice(0, 500);
}
