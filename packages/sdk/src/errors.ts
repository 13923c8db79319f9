// The one error type the SDK hands back. Failures are returned as values, never thrown, so
// a program branches on `error.code` (stable, from the server's catalog: docs/errors.md)
// and shows `error.error`.

/** Codes the SDK produces itself; every other code comes from the server's catalog. */
export type ClientErrorCode =
  | 'NETWORK_ERROR' | 'TIMEOUT' | 'ABORTED' | 'INVALID_RESPONSE' | 'HTTP_ERROR'
  // client.auth: no session to act on, an OAuth callback this client did not start, session storage failed
  | 'AUTH_SESSION_MISSING' | 'INVALID_OAUTH_STATE' | 'STORAGE_ERROR'
  // realtime: no WebSocket implementation, the connection was lost (channels report CHANNEL_ERROR; the SDK reconnects)
  | 'REALTIME_UNAVAILABLE' | 'REALTIME_DISCONNECTED';

export interface FluxbaseErrorInit {
  status: number;
  code: string;
  error: string;
  message?: string | undefined;
  details?: unknown;
  hint?: string | undefined;
  requestId?: string | undefined;
  cause?: unknown;
}

// Codes a bare status can stand for when the body is not one of ours (a proxy's HTML page,
// an empty 503 from a load balancer); any other status becomes HTTP_ERROR.
const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  401: 'MISSING_AUTHENTICATION', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'RATE_LIMITED', 431: 'HEADER_TOO_LARGE', 500: 'INTERNAL_ERROR',
  501: 'NOT_IMPLEMENTED', 503: 'SERVICE_UNAVAILABLE',
};

// A non-JSON body may be a whole HTML page; keep enough of it to diagnose, not all of it.
const MAX_TEXT_MESSAGE = 500;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export class FluxbaseError extends Error {
  override readonly name = 'FluxbaseError';
  /** HTTP status; 0 when no response arrived (network failure, timeout, abort). */
  readonly status: number;
  /** Stable machine-readable code: branch on this. */
  readonly code: string;
  /** Short human sentence: show this. */
  readonly error: string;
  override readonly message: string;
  // `declare`: absent fields stay absent (not own `undefined` properties) in logs and JSON.
  declare readonly details?: unknown;
  declare readonly hint?: string;
  /** The server's request id, to quote when reporting a problem. */
  declare readonly requestId?: string;

  constructor(init: FluxbaseErrorInit) {
    super(init.message ?? init.error, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.error = init.error;
    this.message = init.message ?? init.error;
    if (init.details !== undefined && init.details !== null) this.details = init.details;
    if (init.hint !== undefined) this.hint = init.hint;
    if (init.requestId !== undefined) this.requestId = init.requestId;
  }

  /**
   * Build the error for a non-2xx response. `body` is the parsed JSON body, or the raw
   * text when it was not JSON. Understands the Fluxbase envelope, PostgREST's
   * `{code, message, details, hint}` and anything else by status.
   */
  static fromResponse(status: number, body: unknown, headers?: Headers): FluxbaseError {
    const headerId = str(headers?.get('x-request-id'));
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
      const b = body as Record<string, unknown>;
      const requestId = str(b.request_id) ?? headerId;
      const message = str(b.message);
      const short = str(b.error);
      const code = str(b.code) ?? (typeof b.code === 'number' ? String(b.code) : undefined);
      if (short !== undefined || (code !== undefined && message !== undefined)) {
        return new FluxbaseError({
          status,
          code: code ?? fallbackCode(status),
          // PostgREST bodies have no short sentence; their message is the closest thing.
          error: short ?? message ?? statusSentence(status),
          message: message ?? str(b.error_description),
          details: b.details,
          hint: str(b.hint),
          requestId,
        });
      }
      return new FluxbaseError({ status, code: code ?? fallbackCode(status), error: message ?? statusSentence(status), details: body, requestId });
    }
    const text = typeof body === 'string' ? body.trim() : '';
    return new FluxbaseError({
      status,
      code: fallbackCode(status),
      error: statusSentence(status),
      message: text === '' ? undefined : text.slice(0, MAX_TEXT_MESSAGE),
      requestId: headerId,
    });
  }
}

function fallbackCode(status: number): string {
  return CODE_BY_STATUS[status] ?? 'HTTP_ERROR';
}

function statusSentence(status: number): string {
  return `Request failed with status ${status}`;
}

/** True for a FluxbaseError, also one from another copy of the SDK bundled twice. */
export function isFluxbaseError(value: unknown): value is FluxbaseError {
  if (value instanceof FluxbaseError) return true;
  if (!(value instanceof Error) || value.name !== 'FluxbaseError') return false;
  const v = value as unknown as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.status === 'number';
}
