// `client.rpc(fn, args)`: PostgreSQL functions through the SDK route `POST
// /api/v1/rpc/:namespace/:fn` (docs/rest.md "Functions (RPC)"), with `data` = the
// function's result, plus async executions (status, logs, waiting) and the procedure list.
import { FluxbaseError } from './errors.ts';
import type { CountOption, QueryResponse } from './query/index.ts';
import type { FluxbaseResponse, FluxbaseResult, Transport } from './transport.ts';
import type { FunctionArgs, FunctionName, FunctionReturns } from './types.ts';

export interface RpcOptions {
  /** `default` (the first exposed schema) or a schema name. Default: `default`, or the schema of `schema(s).rpc`. */
  namespace?: string;
  /** Discard `data` (the call still runs). Default: false. */
  head?: boolean;
  /** Fill `count` with the number of rows the function returned (`rows_returned`). Default: none. */
  count?: CountOption;
  signal?: AbortSignal;
}

export type RpcExecutionStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout';

/** What an `async: true` call returns at once; follow it with `rpc.getStatus` or `rpc.waitForCompletion`. */
export interface RpcPending {
  execution_id: string;
  status: RpcExecutionStatus;
}

export interface RpcExecution<Result = unknown> {
  execution_id: string;
  status: RpcExecutionStatus;
  result?: Result;
  error?: string;
  rows_returned?: number;
  duration_ms?: number;
  created_at: string;
  completed_at?: string;
}

export interface RpcProcedure {
  name: string;
  namespace: string;
  description: string | null;
  arguments: Array<{ name: string; type: string; has_default: boolean }>;
  returns: string;
  returns_set: boolean;
  volatility: string;
}

/** One captured log line of an execution. */
export interface RpcLogEntry {
  line_number?: number;
  level?: string;
  message?: string;
  /** When the line was written (this server's name for it). */
  timestamp?: string;
  created_at?: string;
  [field: string]: unknown;
}

/** The rpc result: the supabase-js shape plus the server's execution id. */
export type RpcResponse<T> = QueryResponse<T> & { executionId: string | null };

export interface WaitOptions {
  /** Give up after this many milliseconds (error code TIMEOUT). Default: 30000. */
  timeoutMs?: number;
  /** First polling interval, growing ×1.5 up to 5 s. Default: 250. */
  intervalMs?: number;
}

const FINISHED: ReadonlySet<RpcExecutionStatus> = new Set(['completed', 'failed', 'cancelled', 'timeout']);

export interface RpcClient<Schema> {
  /** Call function `fn` with named arguments; `data` is its result (an array for set-returning functions). */
  <Fn extends FunctionName<Schema>>(fn: Fn, args?: FunctionArgs<Schema, Fn>, options?: RpcOptions & { async?: false }): Promise<RpcResponse<FunctionReturns<Schema, Fn>>>;
  /** Queue the call as a job: `data` is `{ execution_id, status: 'pending' }` (202). */
  <Fn extends FunctionName<Schema>>(fn: Fn, args: FunctionArgs<Schema, Fn> | undefined, options: RpcOptions & { async: true }): Promise<RpcResponse<RpcPending>>;
  /** The execution record of an async call (its owner, an admin or the service role). */
  getStatus(executionId: string): Promise<FluxbaseResult<RpcExecution>>;
  /** Log lines of an execution, after line `after` when given. */
  getLogs(executionId: string, after?: number): Promise<FluxbaseResult<RpcLogEntry[]>>;
  /** Same as `getStatus` (upstream's name). */
  getExecution(executionId: string): Promise<FluxbaseResult<RpcExecution>>;
  /** Same as `getLogs` (upstream's name). */
  getExecutionLogs(executionId: string, afterLine?: number): Promise<FluxbaseResult<RpcLogEntry[]>>;
  /** Callable functions, optionally of one namespace. */
  list(namespace?: string): Promise<FluxbaseResult<RpcProcedure[]>>;
  /** Poll `getStatus` until the execution finishes (completed, failed, cancelled or timeout). */
  waitForCompletion(executionId: string, options?: WaitOptions): Promise<FluxbaseResult<RpcExecution>>;
}

function invalid(res: FluxbaseResponse<unknown>, message: string): FluxbaseError {
  return new FluxbaseError({ status: res.status, code: 'INVALID_RESPONSE', error: 'Invalid response', message, requestId: res.headers.get('x-request-id') ?? undefined });
}

function rpcResponse(res: FluxbaseResponse<unknown>, isAsync: boolean, options: RpcOptions): RpcResponse<unknown> {
  const meta = { status: res.status, statusText: res.statusText, nextCursor: null };
  const fail = (error: FluxbaseError): RpcResponse<unknown> => ({ data: null, error, count: null, executionId: null, ...meta });
  if (res.error) return fail(res.error);
  const body = res.data;
  if (body === null || typeof body !== 'object' || Array.isArray(body) || typeof (body as Record<string, unknown>).execution_id !== 'string') {
    return fail(invalid(res, 'Expected an execution object from the rpc route'));
  }
  const b = body as Record<string, unknown>;
  const executionId = b.execution_id as string;
  const data = options.head === true ? null : isAsync ? { execution_id: executionId, status: b.status } : (b.result ?? null);
  const count = options.count !== undefined && typeof b.rows_returned === 'number' ? b.rows_returned : null;
  return { data, error: null, count, executionId, ...meta };
}

async function objectField<T>(res: Promise<FluxbaseResponse<unknown>>, pick: (body: Record<string, unknown>) => unknown, what: string): Promise<FluxbaseResult<T>> {
  const r = await res;
  if (r.error) return { data: null, error: r.error };
  const value = r.data !== null && typeof r.data === 'object' && !Array.isArray(r.data) ? pick(r.data as Record<string, unknown>) : undefined;
  if (value === undefined) return { data: null, error: invalid(r, `Expected ${what}`) };
  return { data: value as T, error: null };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createRpcClient<Schema>(transport: Transport, defaultNamespace = 'default'): RpcClient<Schema> {
  const call = async (fn: string, args?: unknown, options: RpcOptions & { async?: boolean } = {}): Promise<RpcResponse<unknown>> => {
    const namespace = options.namespace ?? defaultNamespace;
    const body: Record<string, unknown> = { params: args ?? {} };
    if (options.async === true) body.async = true;
    const res = await transport<unknown>('POST', `/api/v1/rpc/${encodeURIComponent(namespace)}/${encodeURIComponent(fn)}`, {
      body, ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return rpcResponse(res, options.async === true, options);
  };

  const execPath = (id: string) => `/api/v1/rpc/executions/${encodeURIComponent(id)}`;
  const getStatus = (id: string) => objectField<RpcExecution>(transport('GET', execPath(id)), (b) => (typeof b.execution_id === 'string' ? b : undefined), 'an execution record');

  const getLogs = (id: string, after?: number) => objectField<RpcLogEntry[]>(
    transport('GET', `${execPath(id)}/logs`, { query: { after } }),
    (b) => (Array.isArray(b.entries) ? b.entries : Array.isArray(b.logs) ? b.logs : undefined), 'a log list');

  const extras = {
    getStatus,
    getLogs,
    getExecution: getStatus,
    getExecutionLogs: getLogs,
    list: (namespace?: string) => objectField<RpcProcedure[]>(
      transport('GET', '/api/v1/rpc/procedures', { query: { namespace } }),
      (b) => (Array.isArray(b.procedures) ? b.procedures : undefined), 'a procedure list'),
    async waitForCompletion(id: string, options: WaitOptions = {}): Promise<FluxbaseResult<RpcExecution>> {
      const deadline = Date.now() + (options.timeoutMs ?? 30_000);
      let interval = options.intervalMs ?? 250;
      for (;;) {
        const res = await getStatus(id);
        if (res.error || FINISHED.has(res.data.status)) return res;
        if (Date.now() + interval > deadline) {
          return { data: null, error: new FluxbaseError({ status: 0, code: 'TIMEOUT', error: 'Request timed out', message: `Execution ${id} still ${res.data.status}` }) };
        }
        await sleep(interval);
        interval = Math.min(interval * 1.5, 5000);
      }
    },
  };
  return Object.assign(call, extras) as unknown as RpcClient<Schema>;
}
