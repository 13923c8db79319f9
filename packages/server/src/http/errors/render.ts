// Turning any thrown value into an AppError, and an AppError into the body of its mount:
// the Fluxbase envelope everywhere, PostgREST's shape on /rest/v1 (docs/errors.md).
import { DatabaseUnavailableError, isUnavailable } from '../../db/index.ts';
import { isQueryError } from '../../query/index.ts';
import { AppError } from './app-error.ts';
import { CATALOG, type ErrorCode } from './catalog.ts';
import { fromPgError, isPgError } from './pg.ts';

/** Fastify's own error codes for client mistakes, mapped onto the catalog. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_FORMAT',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_BAD_URL: 'INVALID_FORMAT',
  FST_ERR_ASYNC_CONSTRAINT: 'INVALID_FORMAT',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'INVALID_FORMAT', 401: 'INVALID_TOKEN', 403: 'INSUFFICIENT_PERMISSIONS', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE', 408: 'REQUEST_TIMEOUT', 409: 'CONFLICT', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 416: 'RANGE_NOT_SATISFIABLE',
  429: 'RATE_LIMITED', 431: 'HEADER_TOO_LARGE', 503: 'SERVICE_UNAVAILABLE',
};

/** `details` as PostgREST's one-line `details` string: `table: public.todos, column: id, …`. */
function describeDetails(details: Record<string, unknown> | undefined): string | null {
  if (!details) return null;
  return Object.entries(details).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
}

export interface NormaliseContext {
  anonymous: boolean;
}

export function toAppError(err: unknown, ctx: NormaliseContext): AppError {
  if (err instanceof AppError) return err;
  if (isQueryError(err)) {
    // On /rest/v1 PostgreSQL's own code and message, with ours in details (PostgREST clients show `message`).
    const pg = err.pg
      ? { code: err.pg.sqlstate, message: err.pg.message, detail: `${err.message} (${describeDetails(err.details)})`, hint: err.hint ?? null }
      : undefined;
    return new AppError(err.code, { message: err.message, details: err.details, hint: err.hint, pg });
  }
  if (err instanceof DatabaseUnavailableError && err.reason === 'held_too_long') {
    return new AppError('HANDLER_TIMEOUT', {
      message: 'The request did not complete within server.handler_timeout; its work was abandoned',
      hint: 'Retry; if it keeps happening, look for slow queries or locks (docs/operations.md)',
      cause: err,
    });
  }
  if (err instanceof DatabaseUnavailableError) {
    const message = err.reason === 'pool_wait_timeout'
      ? 'All database connections are busy; retry shortly'
      : err.reason === 'shutting_down' ? 'The server is shutting down' : 'The database is unavailable; retry shortly';
    return new AppError('SERVICE_UNAVAILABLE', { message, headers: { 'Retry-After': err.reason === 'pool_wait_timeout' ? '1' : '5' }, cause: err });
  }
  if (isPgError(err)) return fromPgError(err, ctx);
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown; validation?: unknown };
  if (e.code === 'FST_ERR_BAD_URL') {
    return new AppError('INVALID_FORMAT', {
      message: 'The URL path is not valid: it has malformed percent-encoding or encodes invalid UTF-8',
      hint: 'Percent-encode reserved characters as %XX with two hex digits, and only UTF-8 text',
      cause: err,
    });
  }
  if (e.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new AppError('INVALID_FORMAT', { message: 'A path segment is longer than 500 characters', cause: err });
  }
  if (typeof e.code === 'string') {
    const mapped = FASTIFY_CODES[e.code];
    if (mapped) {
      const message = mapped === 'VALIDATION_FAILED' || mapped === 'INVALID_FORMAT' ? String(e.message ?? '') : undefined;
      return new AppError(mapped, { message: message || undefined, cause: err });
    }
    // Network-level driver errors (ECONNREFUSED, CONNECTION_CLOSED, ...) mean "unavailable".
    if (isUnavailable(err)) {
      return new AppError('SERVICE_UNAVAILABLE', { message: 'The database is unavailable; retry shortly', headers: { 'Retry-After': '5' }, cause: err });
    }
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = STATUS_CODES[e.statusCode] ?? 'INVALID_FORMAT';
    return new AppError(code, { message: typeof e.message === 'string' ? e.message : undefined, cause: err });
  }
  return new AppError('INTERNAL_ERROR', { message: 'An unexpected error occurred', cause: err });
}

export type Mount = 'fluxbase' | 'postgrest';

export function mountOf(url: string): Mount {
  return url.startsWith('/rest/v1/') || url === '/rest/v1' || url.startsWith('/rest/v1?') ? 'postgrest' : 'fluxbase';
}

export function renderError(err: AppError, requestId: string, mount: Mount): Record<string, unknown> {
  const serverSide = err.status >= 500;
  if (mount === 'postgrest') {
    // PostgREST shape: database 4xx errors show PostgreSQL's own code and text.
    if (err.pg && !serverSide) {
      return { code: err.pg.code, message: err.pg.message, details: err.pg.detail, hint: err.pg.hint, request_id: requestId };
    }
    const entry = CATALOG[err.code] as { pgrst?: string };
    return {
      code: entry.pgrst ?? err.code,
      message: err.message,
      details: err.details ?? null,
      hint: err.hint ?? null,
      request_id: requestId,
    };
  }
  const body: Record<string, unknown> = { error: err.error, code: err.code };
  if (err.hasMessage && err.message) body.message = err.message;
  if (err.details && Object.keys(err.details).length > 0) body.details = err.details;
  if (err.hint) body.hint = err.hint;
  if (err.extra) Object.assign(body, err.extra);
  body.request_id = requestId;
  return body;
}
