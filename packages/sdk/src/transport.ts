// One HTTP round trip: build the URL and headers, send with a timeout, and turn every
// outcome (2xx, error envelope, network failure, timeout) into a value. Nothing here
// throws for a failed request; callers get `{ data: null, error }`.
import { FluxbaseError } from './errors.ts';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

type Scalar = string | number | boolean;
/** `null`/`undefined` values are left out; an array repeats the parameter (`or=…&or=…`). */
export type QueryParams = Record<string, Scalar | readonly Scalar[] | null | undefined>;

export interface RequestOptions {
  /** Sent as JSON unless it is already a body type fetch understands (Blob, FormData, …); a value JSON.stringify refuses (BigInt, cycles) throws, as a programming error. */
  body?: unknown;
  /** Per-request headers; they win over the client's headers, credentials included. */
  headers?: Record<string, string>;
  query?: QueryParams;
  signal?: AbortSignal;
}

/** The outcome of a call: exactly one of `data` and `error` is meaningful. */
export type FluxbaseResult<T> = { data: T; error: null } | { data: null; error: FluxbaseError };

/** A raw response: success data may be `null` (204, HEAD, empty body). `statusText` is '' over HTTP/2 and when no response arrived. */
export type FluxbaseResponse<T> = FluxbaseResult<T | null> & { status: number; statusText: string; headers: Headers };

export interface TransportSettings {
  /** Base URL without a trailing slash; may carry a path prefix (a reverse-proxy mount). */
  baseUrl: string;
  fetch: typeof fetch;
  /** 0 disables the timeout. */
  timeoutMs: number;
  /** Headers for every request, read at send time so a new access token applies at once. */
  headers: () => Headers;
}

export type Transport = <T>(method: HttpMethod, path: string, options?: RequestOptions) => Promise<FluxbaseResponse<T>>;

export function createTransport(settings: TransportSettings): Transport {
  return async <T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<FluxbaseResponse<T>> => {
    const headers = settings.headers();
    for (const [k, v] of Object.entries(options.headers ?? {})) headers.set(k, v);
    const body = encodeBody(options.body, headers);

    const controller = new AbortController();
    let timedOut = false;
    const timer = settings.timeoutMs > 0
      ? setTimeout(() => { timedOut = true; controller.abort(); }, settings.timeoutMs)
      : undefined;
    const callerSignal = options.signal;
    const forwardAbort = () => controller.abort(callerSignal?.reason);
    if (callerSignal?.aborted) forwardAbort();
    else callerSignal?.addEventListener('abort', forwardAbort, { once: true });

    try {
      const res = await settings.fetch(buildUrl(settings.baseUrl, path, options.query), {
        method, headers, body, signal: controller.signal,
      });
      // Read the body inside the timer: a server that stalls mid-body is a timeout too.
      const text = method === 'HEAD' ? '' : await res.text();
      return decodeResponse<T>(res, text);
    } catch (cause) {
      const error = timedOut
        ? new FluxbaseError({ status: 0, code: 'TIMEOUT', error: 'Request timed out', message: `No response within ${settings.timeoutMs} ms`, cause })
        : callerSignal?.aborted
          ? new FluxbaseError({ status: 0, code: 'ABORTED', error: 'Request aborted', cause })
          : new FluxbaseError({ status: 0, code: 'NETWORK_ERROR', error: 'Network error', message: describe(cause), cause });
      // Status 0 even when headers had arrived: a response cut short is not a response.
      return { data: null, error, status: 0, statusText: '', headers: new Headers() };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      callerSignal?.removeEventListener('abort', forwardAbort);
    }
  };
}

function buildUrl(baseUrl: string, path: string, query: QueryParams | undefined): string {
  const url = new URL(baseUrl + (path.startsWith('/') ? path : `/${path}`));
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === null || value === undefined) continue;
    const values: readonly Scalar[] = Array.isArray(value) ? value : [value as Scalar];
    for (const v of values) url.searchParams.append(name, String(v));
  }
  return url.toString();
}

// Spelled through RequestInit: `BodyInit` is a DOM global that Node's types do not declare.
type RawBody = NonNullable<RequestInit['body']>;

function isRawBody(body: unknown): body is RawBody {
  return (typeof Blob !== 'undefined' && body instanceof Blob)
    || (typeof FormData !== 'undefined' && body instanceof FormData)
    || body instanceof URLSearchParams
    || body instanceof ArrayBuffer
    || ArrayBuffer.isView(body)
    || (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream);
}

function encodeBody(body: unknown, headers: Headers): RawBody | undefined {
  if (body === undefined) return undefined;
  if (isRawBody(body)) return body;
  if (!headers.has('content-type')) headers.set('Content-Type', 'application/json');
  return JSON.stringify(body);
}

const isJson = (contentType: string | null): boolean => contentType !== null && /^application\/([\w.-]+\+)?json\b/i.test(contentType);

function decodeResponse<T>(res: Response, text: string): FluxbaseResponse<T> {
  const meta = { status: res.status, statusText: res.statusText, headers: res.headers };
  let parsed: unknown = text === '' ? null : text;
  if (text !== '' && isJson(res.headers.get('content-type'))) {
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      if (res.ok) {
        const error = new FluxbaseError({
          status: res.status, code: 'INVALID_RESPONSE', error: 'Invalid response',
          message: 'The server sent malformed JSON', requestId: res.headers.get('x-request-id') ?? undefined, cause,
        });
        return { data: null, error, ...meta };
      }
      // An unreadable error body still carries the status; fromResponse falls back to it.
    }
  }
  if (!res.ok) return { data: null, error: FluxbaseError.fromResponse(res.status, parsed, res.headers), ...meta };
  // Non-JSON success bodies (CSV, TypeScript, plain text) are handed back as text.
  return { data: parsed as T | null, error: null, ...meta };
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  // Node's fetch hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`.
  const inner = (cause as Error & { cause?: unknown }).cause;
  return inner instanceof Error && inner.message !== '' ? `${cause.message}: ${inner.message}` : cause.message;
}
