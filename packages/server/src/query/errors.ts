// Errors from parsing and planning. query/ sits below http/, so it cannot use AppError;
// it throws QueryError with a catalog code, and http/ turns it into an AppError.
// Messages never contain SQL; they may quote the offending input (truncated).

export type QueryErrorCode =
  | 'INVALID_QUERY' | 'INVALID_FILTER' | 'INVALID_CURSOR' | 'INVALID_INPUT'
  | 'UNKNOWN_COLUMN' | 'UNKNOWN_RELATIONSHIP' | 'AMBIGUOUS_RELATIONSHIP'
  | 'TABLE_NOT_FOUND' | 'FUNCTION_NOT_FOUND' | 'AMBIGUOUS_FUNCTION' | 'SCHEMA_NOT_EXPOSED'
  | 'METHOD_NOT_ALLOWED' | 'INVALID_REQUEST_BODY' | 'FILTER_REQUIRED' | 'BATCH_TOO_LARGE'
  | 'RANGE_NOT_SATISFIABLE' | 'INVALID_PREFERENCE';

export interface QueryErrorInit {
  details?: Record<string, unknown>;
  hint?: string | undefined;
  /** What PostgreSQL would have raised, shown on /rest/v1 as `code` and `message` (PostgREST's behaviour). */
  pg?: { sqlstate: string; message: string };
}

export class QueryError extends Error {
  override name = 'QueryError';
  readonly code: QueryErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly hint: string | undefined;
  readonly pg: { sqlstate: string; message: string } | undefined;
  constructor(code: QueryErrorCode, message: string, init: QueryErrorInit = {}) {
    super(message);
    this.code = code;
    this.details = init.details;
    this.hint = init.hint;
    this.pg = init.pg;
  }
}

export const isQueryError = (err: unknown): err is QueryError => err instanceof QueryError;

/** Quote user input inside a message: bounded length, control characters escaped. */
export function quoteInput(text: string, max = 60): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}
