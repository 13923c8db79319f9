// The contract every function runtime implements (DESIGN.md "Functions and jobs"):
// the functions service and the jobs worker receive a FunctionRuntime at construction.
import type { Readable } from 'node:stream';

export interface InvokeRequest {
  method: string;
  /** Absolute URL the handler sees as `request.url`. */
  url: string;
  headers: Record<string, string>;
  /**
   * Absent or empty: no body (GET/HEAD always get none). A Readable is streamed to the
   * function as it arrives (the handler's `request.body` reads it); when it errors (the
   * client went away, a size limit), the function's body read fails (warm) or the process is
   * stopped (cold), so a cut body is never seen as complete.
   */
  body?: Uint8Array | string | Readable;
}

export interface FunctionPermissions {
  /** true: any host (`--allow-net`); a list: only those hosts; false or []: no network. */
  net: boolean | string[];
  /** Environment variable names the code may read (`--allow-env=<names>`); [] grants none. */
  env: string[];
  /** Filesystem read (`--allow-read`); default false. */
  read: boolean;
  /** Filesystem write (`--allow-write`); default false. */
  write: boolean;
}

export interface FunctionLimits {
  /** V8 old-space limit (`--max-old-space-size`), config `functions.default_memory_limit_mb` (128). */
  memoryMb: number;
  /** Wall-clock limit for the whole process, config `functions.default_timeout` (30 s). */
  timeoutMs: number;
  /** Captured bytes kept per stream (stdout, stderr), config `functions.max_output_size` (10 MB). */
  maxOutputBytes: number;
  /** Largest response body accepted from the function, config `functions.max_response_size`; absent: no bound. */
  maxResponseBytes?: number;
}

export interface InvokeInput {
  /** The module's TypeScript/JavaScript source (already bundled when it has local imports). */
  code: string;
  request: InvokeRequest;
  /** The child's whole environment; only names in `permissions.env` are readable. */
  env: Record<string, string>;
  permissions: FunctionPermissions;
  limits: FunctionLimits;
  /** JSON passed to the handler as its second argument (the handler context of docs/functions.md); default {}. */
  context?: Record<string, unknown>;
  /** Aborting stops the process group at once (FUNCTION_ERROR, reason `cancelled`): a cancelled job. Cold runs only. */
  signal?: AbortSignal;
  /**
   * Aborting tells the running code it was cancelled without stopping it: one byte on its
   * stdin turns the job context's `isCancelled()` true (handler-source.ts), so it can stop
   * cleanly before `signal` ends it. Cold runs with a whole (not streamed) body only.
   */
  interrupt?: AbortSignal;
  /** Every chunk of the process's stdout and stderr as it arrives (job logs line by line, progress reports). Cold runs only. */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

/** How a streamed response ended (InvokeResult.done): the logs, and the error when the body failed midway. */
export interface StreamEnd {
  stdout: string;
  stderr: string;
  truncated: { stdout: boolean; stderr: boolean };
  durationMs: number;
  error?: FunctionRuntimeError;
}

export interface InvokeResult {
  status: number;
  headers: [string, string][];
  body: Buffer;
  stdout: string;
  stderr: string;
  truncated: { stdout: boolean; stderr: boolean };
  durationMs: number;
  /**
   * A streamed body (a warm worker's response not complete within 20 ms): `body` is empty and
   * `stream` carries it all; `done` settles when it ended, with the final logs and duration
   * (and the error when it failed midway). Destroying `stream` stops the function.
   */
  stream?: Readable;
  done?: Promise<StreamEnd>;
  /** Set by WarmPool: true when an already running worker served the call, false for a new worker or the cold path. */
  warm?: boolean;
}

export type FunctionErrorCode = 'FUNCTION_ERROR' | 'FUNCTION_TIMEOUT';
/** The `details.reason` values of function errors (docs/functions.md), plus `timeout` and `spawn_failed` for the runtime's own failures. */
export type FunctionErrorReason = 'exception' | 'exit' | 'out_of_memory' | 'invalid_response' | 'timeout' | 'spawn_failed' | 'cancelled';

/** Thrown by FunctionRuntime.invoke for every failed invocation; carries the captured logs. */
export class FunctionRuntimeError extends Error {
  override readonly name = 'FunctionRuntimeError';
  constructor(
    readonly code: FunctionErrorCode,
    readonly reason: FunctionErrorReason,
    message: string,
    readonly logs: { stdout: string; stderr: string; truncated: { stdout: boolean; stderr: boolean } },
    readonly durationMs: number,
    readonly exitCode: number | null = null,
  ) {
    super(message);
  }
}

export interface FunctionRuntime {
  invoke(input: InvokeInput): Promise<InvokeResult>;
}

/** A stream's captured text and whether it was cut (runtime/output-capture.ts). */
export interface CapturedStream {
  text(): string;
  readonly truncated: boolean;
}

/** The error factory of one invocation: the logs captured so far and the time since `started` travel with every failure. */
export function failureFor(stdout: CapturedStream, stderr: CapturedStream, started: number) {
  return (code: FunctionErrorCode, reason: FunctionErrorReason, message: string, exitCode: number | null = null): FunctionRuntimeError =>
    new FunctionRuntimeError(code, reason, message, { stdout: stdout.text(), stderr: stderr.text(), truncated: { stdout: stdout.truncated, stderr: stderr.truncated } }, Math.round(performance.now() - started), exitCode);
}
