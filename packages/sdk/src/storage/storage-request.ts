// The send path of storage calls whose bodies are not JSON: uploads (multipart forms and
// streams) and downloads (bytes). Like the JSON transport it never throws for a failed
// request and reads the body inside the timeout; unlike it, it can send a request without
// the client's credentials (signed URLs carry their own authorization).
import { FluxbaseError } from '../errors.ts';
import type { FluxbaseResult, HttpMethod } from '../transport.ts';

export interface StorageSettings {
  /** Base URL without a trailing slash. */
  baseUrl: string;
  /** The client's fetch (with session handling). */
  fetch: typeof fetch;
  /** The plain fetch, for signed URLs: the client's credentials are not sent to them. */
  plainFetch: typeof fetch;
  /** 0 disables the timeout. */
  timeoutMs: number;
  /** The client's credential and extra headers, read at send time. */
  headers: () => Headers;
}

// Spelled through RequestInit: `BodyInit` is a DOM global that Node's types do not declare.
export type RawBody = NonNullable<RequestInit['body']>;

export interface StorageRequest {
  method: HttpMethod;
  /** Absolute URL. */
  url: string;
  headers?: Record<string, string>;
  body?: RawBody;
  signal?: AbortSignal | undefined;
  /** Send without the client's credentials and extra headers (signed URLs). */
  anonymous?: boolean;
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json\b/i;

export const isStream = (v: unknown): v is ReadableStream => typeof ReadableStream !== 'undefined' && v instanceof ReadableStream;

export function invalidResponse(res: Response, message: string, cause?: unknown): FluxbaseError {
  return new FluxbaseError({
    status: res.status, code: 'INVALID_RESPONSE', error: 'Invalid response', message, requestId: res.headers.get('x-request-id') ?? undefined, cause,
  });
}

async function errorOf(res: Response): Promise<FluxbaseError> {
  const text = await res.text();
  let body: unknown = text === '' ? null : text;
  if (text !== '' && JSON_TYPE.test(res.headers.get('content-type') ?? '')) {
    try {
      body = JSON.parse(text);
    } catch {
      // An unreadable error body still carries the status; fromResponse falls back to it.
    }
  }
  return FluxbaseError.fromResponse(res.status, body, res.headers);
}

/** A 2xx JSON object body, else INVALID_RESPONSE. */
export async function readJsonObject<T>(res: Response): Promise<FluxbaseResult<T>> {
  const text = await res.text();
  try {
    const v: unknown = JSON.parse(text);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return { data: v as T, error: null };
  } catch (cause) {
    return { data: null, error: invalidResponse(res, 'The server sent malformed JSON', cause) };
  }
  return { data: null, error: invalidResponse(res, 'Expected a JSON object') };
}

/** Sends `req`; on a 2xx, `read` turns the response into the result, inside the timeout. */
export async function sendStorage<T>(
  settings: StorageSettings, req: StorageRequest, read: (res: Response) => Promise<FluxbaseResult<T>>,
): Promise<FluxbaseResult<T>> {
  const headers = req.anonymous ? new Headers() : settings.headers();
  for (const [k, v] of Object.entries(req.headers ?? {})) headers.set(k, v);
  const controller = new AbortController();
  let timedOut = false;
  const timer = settings.timeoutMs > 0 ? setTimeout(() => { timedOut = true; controller.abort(); }, settings.timeoutMs) : undefined;
  const callerSignal = req.signal;
  const forwardAbort = () => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted) forwardAbort();
  else callerSignal?.addEventListener('abort', forwardAbort, { once: true });
  try {
    const init: RequestInit & { duplex?: 'half' } = { method: req.method, headers, signal: controller.signal };
    if (req.body !== undefined) init.body = req.body;
    // Node's fetch refuses a stream body without it; browsers ignore the field.
    if (isStream(req.body)) init.duplex = 'half';
    const res = await (req.anonymous ? settings.plainFetch : settings.fetch)(req.url, init);
    if (!res.ok) return { data: null, error: await errorOf(res) };
    return await read(res);
  } catch (cause) {
    const error = timedOut
      ? new FluxbaseError({ status: 0, code: 'TIMEOUT', error: 'Request timed out', message: `No response within ${settings.timeoutMs} ms`, cause })
      : callerSignal?.aborted
        ? new FluxbaseError({ status: 0, code: 'ABORTED', error: 'Request aborted', cause })
        : new FluxbaseError({ status: 0, code: 'NETWORK_ERROR', error: 'Network error', message: describe(cause), cause });
    return { data: null, error };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    callerSignal?.removeEventListener('abort', forwardAbort);
  }
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  // Node's fetch hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`.
  const inner = (cause as Error & { cause?: unknown }).cause;
  return inner instanceof Error && inner.message !== '' ? `${cause.message}: ${inner.message}` : cause.message;
}
