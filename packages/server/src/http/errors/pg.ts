// PostgreSQL errors → catalog codes by SQLSTATE (docs/errors.md "Database errors"). On
// /api/v1 the client sees our wording plus {table, column, constraint}; PostgreSQL's own
// message/detail/hint are kept aside for the PostgREST mount. Unmapped SQLSTATEs are
// DATABASE_ERROR (500), whose text is never shown.
import { isUnavailable } from '../../db/index.ts';
import { AppError } from './app-error.ts';
import type { ErrorCode } from './catalog.ts';

export interface PgErrorLike {
  code: string;
  message: string;
  detail?: string | undefined;
  hint?: string | undefined;
  table_name?: string | undefined;
  column_name?: string | undefined;
  constraint_name?: string | undefined;
  schema_name?: string | undefined;
  /** PostgreSQL source file that raised it (e.g. tsquery.c), to tell input parsers from the SQL parser. */
  file?: string | undefined;
}

export function isPgError(err: unknown): err is PgErrorLike {
  if (err === null || typeof err !== 'object') return false;
  const e = err as { code?: unknown; name?: unknown; severity?: unknown };
  return typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && (e.name === 'PostgresError' || typeof e.severity === 'string');
}

function codeFor(sqlstate: string, message: string, anonymous: boolean, file: string | undefined): ErrorCode {
  switch (sqlstate) {
    case '23505': return 'DUPLICATE_KEY';
    case '23503': return 'FOREIGN_KEY_VIOLATION';
    case '23502': return 'NOT_NULL_VIOLATION';
    case '23514': return 'CHECK_VIOLATION';
    case '23P01': return 'CONFLICT';
    case 'P0001': return 'RAISED_EXCEPTION';
    case '42501':
      if (anonymous) return 'AUTHENTICATION_REQUIRED';
      return /row-level security/i.test(message) ? 'RLS_POLICY_VIOLATION' : 'INSUFFICIENT_PERMISSIONS';
    case '42703': return 'UNKNOWN_COLUMN';
    case '42P01': return 'TABLE_NOT_FOUND';
    case '42883': return /^operator does not exist/.test(message) ? 'INVALID_FILTER' : 'FUNCTION_NOT_FOUND';
    case '42P10': return 'INVALID_QUERY'; // ON CONFLICT columns match no unique constraint
    case '42704': case '42804': case '428C9': return 'INVALID_INPUT'; // unknown text search config / type mismatch / generated column written
    case '40001': case '40P01': return 'TRANSACTION_CONFLICT';
    case '57014': return 'STATEMENT_TIMEOUT';
    case '0A000': case '55000': return 'METHOD_NOT_ALLOWED';
    case '25006': return 'METHOD_NOT_ALLOWED'; // a write in a read-only (GET) call, as PostgREST answers
    case '21000': return 'FILTER_REQUIRED';
    case '44000': return 'CHECK_VIOLATION'; // a view's WITH CHECK OPTION
    // A syntax error in a statement we generated is our bug, not the client's: keep it a
    // 500; but a full-text query the client wrote is parsed by PostgreSQL with this code too.
    case '42601': return file?.startsWith('ts') || /tsquery/.test(message) ? 'INVALID_FILTER' : 'DATABASE_ERROR';
    // Duplicate objects (admin DDL): the name is taken.
    case '42P04': case '42P06': case '42P07': case '42710': case '42712': case '42723': case '42P03': case '42P05': return 'ALREADY_EXISTS';
    default:
      // Classes a client's input can cause (docs/errors.md "Database errors"): bad values
      // (22), constraints (23), names, types, casts and grouping (42), user functions that
      // raise or misbehave (P0, 2F, 38), limits of one statement (54). Everything else
      // (connection, resources, internal) is the server's.
      if (sqlstate.startsWith('22') || sqlstate.startsWith('54')) return 'INVALID_INPUT';
      if (sqlstate.startsWith('23') || sqlstate.startsWith('27') || sqlstate === '40002') return 'CONFLICT';
      if (sqlstate.startsWith('42')) return 'INVALID_QUERY';
      if (sqlstate.startsWith('P0') || sqlstate.startsWith('2F') || sqlstate.startsWith('38') || sqlstate.startsWith('39')) return 'RAISED_EXCEPTION';
      return 'DATABASE_ERROR';
  }
}

function ourMessage(code: ErrorCode, e: PgErrorLike): string | undefined {
  const rel = e.table_name ? `${e.schema_name ? `${e.schema_name}.` : ''}${e.table_name}` : undefined;
  switch (code) {
    case 'DUPLICATE_KEY': return `A row with the same value already exists${e.constraint_name ? ` (constraint ${e.constraint_name})` : ''}`;
    case 'FOREIGN_KEY_VIOLATION': return `The row references a missing row or is still referenced${e.constraint_name ? ` (constraint ${e.constraint_name})` : ''}`;
    case 'NOT_NULL_VIOLATION': return `Column ${e.column_name ?? '?'} may not be null`;
    case 'CHECK_VIOLATION': return `The row violates check constraint ${e.constraint_name ?? ''}`.trim();
    case 'CONFLICT': return e.code === '23P01' ? 'The row conflicts with an existing row (exclusion constraint)' : e.message;
    case 'ALREADY_EXISTS': return e.message;
    case 'RAISED_EXCEPTION': return e.message; // user's RAISE EXCEPTION text is meant for clients
    case 'RLS_POLICY_VIOLATION': return `Row-level security policy blocks this operation${rel ? ` on ${rel}` : ''}`;
    case 'INSUFFICIENT_PERMISSIONS': return 'The current role lacks the privilege for this operation';
    case 'AUTHENTICATION_REQUIRED': return 'Sign in to perform this operation';
    case 'INVALID_INPUT': return e.message;
    case 'UNKNOWN_COLUMN': case 'TABLE_NOT_FOUND': case 'FUNCTION_NOT_FOUND': case 'INVALID_QUERY': case 'INVALID_FILTER': return e.message;
    case 'TRANSACTION_CONFLICT': return 'The transaction conflicted with another one; retry it';
    case 'STATEMENT_TIMEOUT': return 'The statement took longer than database.statement_timeout';
    case 'METHOD_NOT_ALLOWED': return 'This operation is not supported on this object';
    default: return undefined;
  }
}

export function fromPgError(err: PgErrorLike, options: { anonymous: boolean }): AppError {
  if (isUnavailable(err)) {
    return new AppError('SERVICE_UNAVAILABLE', {
      message: 'The database is unavailable; retry shortly', headers: { 'Retry-After': '5' }, cause: err,
    });
  }
  const code = codeFor(err.code, err.message, options.anonymous, err.file);
  const details: Record<string, unknown> = {};
  if (err.table_name) details.table = err.schema_name ? `${err.schema_name}.${err.table_name}` : err.table_name;
  if (err.column_name) details.column = err.column_name;
  if (err.constraint_name) details.constraint = err.constraint_name;
  const server = code === 'DATABASE_ERROR';
  // A user function's RAISE: its text is the error clients show (the SDK shows `error`),
  // with its DETAIL and HINT, as PostgREST passes them through.
  const raised = code === 'RAISED_EXCEPTION';
  if (raised && err.detail) details.detail = err.detail;
  return new AppError(code, {
    message: ourMessage(code, err),
    error: raised ? err.message : undefined,
    details: server || Object.keys(details).length === 0 ? undefined : details,
    hint: code === 'RLS_POLICY_VIOLATION' ? "Check the table's policies" : raised ? err.hint : undefined,
    pg: server ? undefined : { code: err.code, message: err.message, detail: err.detail ?? null, hint: err.hint ?? null },
    cause: err,
  });
}
