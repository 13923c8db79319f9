// `functions.invoke`: one call to a function's route with the client's credentials. It
// has its own send path (not the JSON transport) because a function's response may be
// binary: the body is read once, as the Content-Type says, inside the timeout.
import { FluxbaseError } from '../errors.ts';
import type { HttpMethod, QueryParams } from '../transport.ts';
import type { FunctionInvokeOptions, FunctionInvokeResponse } from './types.ts';

export interface InvokeSettings {
  /** Base URL without a trailing slash. */
  baseUrl: string;
  /** The client's fetch (with session handling). */
  fetch: typeof fetch;
  /** The client's default timeout; 0 disables. */
  timeoutMs: number;
  /** The client's credential and extra headers, read at send time. */
  headers: () => Headers;
}

// Spelled through RequestInit: `BodyInit` is a DOM global that Node's types do not declare.
type RawBody = NonNullable<RequestInit['body']>;

const OCTET_STREAM = 'application/octet-stream';
const TEXT_PLAIN = 'text/plain;charset=UTF-8';

const isBlob = (v: unknown): v is Blob => typeof Blob !== 'undefined' && v instanceof Blob;
const isFormData = (v: unknown): v is FormData => typeof FormData !== 'undefined' && v instanceof FormData;
const isStream = (v: unknown): v is ReadableStream => typeof ReadableStream !== 'undefined' && v instanceof ReadableStream;

/**
 * The wire form of an invoke body, setting `Content-Type` unless the caller did. A value
 * JSON.stringify refuses (BigInt, cycles) throws, as a programming error.
 */
export function encodeInvokeBody(body: unknown, headers: Headers): RawBody | undefined {
  if (body === undefined || body === null) return undefined;
  const type = (value: string) => { if (!headers.has('content-type')) headers.set('Content-Type', value); };
  // fetch sets the multipart boundary and the form type itself; a header here would break them.
  if (isFormData(body) || body instanceof URLSearchParams) return body;
  if (typeof body === 'string') { type(TEXT_PLAIN); return body; }
  if (isBlob(body)) { type(body.type === '' ? OCTET_STREAM : body.type); return body; }
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body) || isStream(body)) {
    type(OCTET_STREAM);
    return body as RawBody;
  }
  type('application/json');
  return JSON.stringify(body);
}

/** `/api/v1/functions/<name>/invoke[/<path>][?query&namespace=]` on `baseUrl`. */
export function invokeUrl(baseUrl: string, name: string, options: Pick<FunctionInvokeOptions, 'path' | 'namespace' | 'query'>): string {
  const sub = (options.path ?? '').split('/').filter((s) => s !== '').map(encodeURIComponent).join('/');
  const url = new URL(`${baseUrl}/api/v1/functions/${encodeURIComponent(name)}/invoke${sub === '' ? '' : `/${sub}`}`);
  const query: QueryParams = { ...options.query, ...(options.namespace === undefined ? {} : { namespace: options.namespace }) };
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(v));
  }
  return url.toString();
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json\b/i;
const TEXT_TYPE = /^text\//i;

/** The body of a 2xx response as its Content-Type says: JSON parsed, text/* a string, else a Blob; null when empty. */
export async function decodeInvokeBody(res: Response, method: HttpMethod): Promise<{ data: unknown } | { error: FluxbaseError }> {
  if (method === 'HEAD' || res.status === 204 || res.status === 205 || res.status === 304) return { data: null };
  const contentType = res.headers.get('content-type');
  if (contentType !== null && JSON_TYPE.test(contentType)) {
    const text = await res.text();
    if (text === '') return { data: null };
    try {
      return { data: JSON.parse(text) as unknown };
    } catch (cause) {
      return { error: new FluxbaseError({ status: res.status, code: 'INVALID_RESPONSE', error: 'Invalid response', message: 'The function sent malformed JSON', requestId: requestId(res), cause }) };
    }
  }
  if (contentType !== null && TEXT_TYPE.test(contentType)) return { data: await res.text() };
  const blob = await res.blob();
  return { data: blob.size === 0 && contentType === null ? null : blob };
}

/** The error of a non-2xx response: the Fluxbase envelope when it is one, else built from the status and body. */
export async function decodeInvokeError(res: Response): Promise<FluxbaseError> {
  const text = await res.text();
  let body: unknown = text === '' ? null : text;
  const contentType = res.headers.get('content-type');
  if (text !== '' && contentType !== null && JSON_TYPE.test(contentType)) {
    try {
      body = JSON.parse(text);
    } catch {
      // An unreadable error body still carries the status; fromResponse falls back to it.
    }
  }
  return FluxbaseError.fromResponse(res.status, body, res.headers);
}

function requestId(res: Response): string | undefined {
  return res.headers.get('x-request-id') ?? undefined;
}

export async function invokeFunction<T>(settings: InvokeSettings, name: string, options: FunctionInvokeOptions = {}): Promise<FunctionInvokeResponse<T>> {
  if (typeof name !== 'string' || name === '') throw new TypeError('functions.invoke: a function name is required');
  const method = options.method ?? 'POST';
  const headers = settings.headers();
  for (const [k, v] of Object.entries(options.headers ?? {})) headers.set(k, v);
  const body = encodeInvokeBody(options.body, headers);
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) throw new TypeError(`functions.invoke: a ${method} request cannot have a body`);
  const timeoutMs = options.timeoutMs ?? settings.timeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw new RangeError('functions.invoke: timeoutMs must be a non-negative number');

  const controller = new AbortController();
  let timedOut = false;
  const timer = timeoutMs > 0 ? setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs) : undefined;
  const callerSignal = options.signal;
  const forwardAbort = () => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted) forwardAbort();
  else callerSignal?.addEventListener('abort', forwardAbort, { once: true });

  try {
    const init: RequestInit & { duplex?: 'half' } = { method, headers, body, signal: controller.signal };
    // Node's fetch refuses a stream body without it; browsers ignore the field.
    if (isStream(body)) init.duplex = 'half';
    const res = await settings.fetch(invokeUrl(settings.baseUrl, name, options), init);
    const meta = { status: res.status, statusText: res.statusText, headers: res.headers, executionId: res.headers.get('x-fluxbase-execution-id') };
    // Read the body inside the timer: a function that stalls mid-body is a timeout too.
    if (!res.ok) return { data: null, error: await decodeInvokeError(res), ...meta };
    const decoded = await decodeInvokeBody(res, method);
    return 'error' in decoded ? { data: null, error: decoded.error, ...meta } : { data: decoded.data as T, error: null, ...meta };
  } catch (cause) {
    const error = timedOut
      ? new FluxbaseError({ status: 0, code: 'TIMEOUT', error: 'Request timed out', message: `No response within ${timeoutMs} ms`, cause })
      : callerSignal?.aborted
        ? new FluxbaseError({ status: 0, code: 'ABORTED', error: 'Request aborted', cause })
        : new FluxbaseError({ status: 0, code: 'NETWORK_ERROR', error: 'Network error', message: describe(cause), cause });
    return { data: null, error, status: 0, statusText: '', headers: new Headers(), executionId: null };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    callerSignal?.removeEventListener('abort', forwardAbort);
  }
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = (cause as Error & { cause?: unknown }).cause;
  return inner instanceof Error && inner.message !== '' ? `${cause.message}: ${inner.message}` : cause.message;
}
