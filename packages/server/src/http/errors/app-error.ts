// AppError: the one error type handlers throw. It carries a catalog code; status and the
// short sentence come from the catalog, so they cannot disagree across the codebase.
import { CATALOG, type ErrorCode } from './catalog.ts';

export interface AppErrorInit {
  message?: string | undefined;
  details?: Record<string, unknown> | undefined;
  hint?: string | undefined;
  /** Extra response headers (Retry-After, WWW-Authenticate, Allow, ...). */
  headers?: Record<string, string> | undefined;
  /** Extra top-level body fields (e.g. `retry_after` on 429). */
  extra?: Record<string, unknown> | undefined;
  /** Override the catalog sentence (rare; e.g. a SQLSTATE-specific wording). */
  error?: string | undefined;
  /** PostgreSQL's own fields, shown only on /rest/v1 for 4xx database errors. */
  pg?: { code: string; message: string; detail: string | null; hint: string | null } | undefined;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly error: string;
  readonly details: Record<string, unknown> | undefined;
  readonly hint: string | undefined;
  readonly headers: Record<string, string>;
  readonly extra: Record<string, unknown> | undefined;
  readonly pg: AppErrorInit['pg'];

  constructor(code: ErrorCode, init: AppErrorInit = {}) {
    super(init.message ?? CATALOG[code].error, { cause: init.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = CATALOG[code].status;
    this.error = init.error ?? CATALOG[code].error;
    this.details = init.details;
    this.hint = init.hint;
    this.headers = init.headers ?? {};
    this.extra = init.extra;
    this.pg = init.pg;
  }

  /** Whether a message was given (the envelope omits `message` otherwise). */
  get hasMessage(): boolean {
    return this.message !== this.error;
  }
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;

/** Small factories for the most common errors. */
export const errors = {
  notFound: (resource: string, message?: string) =>
    new AppError('NOT_FOUND', { message: message ?? `${resource} not found`, details: { resource } }),
  routeNotFound: (method: string, path: string) =>
    new AppError('NOT_FOUND', { message: `No route for ${method} ${path}`, details: { resource: 'route' } }),
  methodNotAllowed: (method: string, allow: string[]) =>
    new AppError('METHOD_NOT_ALLOWED', {
      message: `${method} is not allowed here; allowed: ${allow.join(', ')}`,
      headers: { Allow: allow.join(', ') },
    }),
  invalidJson: (reason: string) => new AppError('INVALID_JSON', { message: `Request body is not valid JSON: ${reason}` }),
  jsonTooDeep: (max: number) => new AppError('JSON_TOO_DEEP', { message: `JSON nesting exceeds maximum depth of ${max}` }),
  unsupportedMediaType: (got: string | undefined, expected = 'application/json') =>
    new AppError('UNSUPPORTED_MEDIA_TYPE', {
      message: got
        ? `Content-Type ${got} is not supported here; send the body as JSON with the header Content-Type: ${expected}`
        : `The request has a body but no Content-Type; send it as JSON with the header Content-Type: ${expected}`,
      hint: `curl: -H 'Content-Type: ${expected}'`,
    }),
  missingAuthentication: (message = 'This endpoint needs a user or service credential') =>
    new AppError('MISSING_AUTHENTICATION', { message }),
  serviceUnavailable: (message: string, retryAfterSeconds = 5, details?: Record<string, unknown>) =>
    new AppError('SERVICE_UNAVAILABLE', { message, details, headers: { 'Retry-After': String(retryAfterSeconds) } }),
  handlerTimeout: (timeoutMs: number) =>
    new AppError('HANDLER_TIMEOUT', {
      message: `The request did not complete within ${timeoutMs / 1000} s (server.handler_timeout); its work was abandoned`,
      hint: 'Retry; if it keeps happening, look for slow queries or locks (docs/operations.md)',
    }),
  requestTimeout: () =>
    new AppError('REQUEST_TIMEOUT', { message: 'The request was not received in time (server.headers_timeout / server.request_timeout)' }),
  internal: (cause?: unknown) => new AppError('INTERNAL_ERROR', { message: 'An unexpected error occurred', cause }),
};
