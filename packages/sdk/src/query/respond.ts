// Turning the server's answer into what supabase-js users expect: `{data, error, count,
// status, statusText}`. On `/api/v1` write bodies differ by verb (an object for an object
// insert, `{affected, records}` for DELETE: docs/rest.md "The two mounts"); they are
// normalised to an array of rows, and single()/maybeSingle() are checked here when the
// server sent an array.
import { FluxbaseError } from '../errors.ts';
import type { FluxbaseResponse } from '../transport.ts';
import type { QueryState } from './state.ts';

export interface QueryResponseSuccess<T> {
  data: T;
  error: null;
  /** Total from `Content-Range` when a count was asked for, else null. */
  count: number | null;
  status: number;
  statusText: string;
  /** `X-Next-Cursor` of a cursor walk; null on the last page or without `cursor()`. */
  nextCursor: string | null;
}

export interface QueryResponseFailure {
  data: null;
  error: FluxbaseError;
  count: null;
  status: number;
  statusText: string;
  nextCursor: null;
}

export type QueryResponse<T> = QueryResponseSuccess<T> | QueryResponseFailure;

/** `Content-Range: 0-9/42` or `*\/3` → 42 / 3; `*` totals are no count. */
export function parseCount(contentRange: string | null): number | null {
  const match = contentRange === null ? null : /(\d+)$/.exec(contentRange);
  return match?.[1] === undefined ? null : Number(match[1]);
}

function isDeleteEnvelope(body: object): body is { affected: number; records: unknown[] } {
  const b = body as Record<string, unknown>;
  return Array.isArray(b.records) && typeof b.affected === 'number' && Object.keys(b).length === 2;
}

/** The rows a write returned, whatever shape the `/api/v1` mount used for this verb. */
function writtenRows(body: unknown): unknown[] {
  if (body === null || body === undefined || body === '') return [];
  if (Array.isArray(body)) return body;
  if (typeof body === 'object' && isDeleteEnvelope(body)) return body.records;
  return [body];
}

function failure(status: number, statusText: string, error: FluxbaseError): QueryResponseFailure {
  return { data: null, error, count: null, status, statusText, nextCursor: null };
}

function notOneRow(res: FluxbaseResponse<unknown>, rows: number): QueryResponseFailure {
  const error = new FluxbaseError({
    status: 406, code: 'SINGLE_OBJECT_EXPECTED', error: 'JSON object requested, multiple (or no) rows returned',
    message: `The result contains ${rows} rows; exactly one was expected`,
    details: { rows }, requestId: res.headers.get('x-request-id') ?? undefined,
  });
  return failure(406, 'Not Acceptable', error);
}

export function toQueryResponse(state: QueryState, res: FluxbaseResponse<unknown>): QueryResponse<unknown> {
  if (res.error) return failure(res.status, res.statusText, res.error);
  const isWrite = state.method !== 'GET' && state.method !== 'HEAD';
  let data: unknown = res.data;
  if (state.method === 'HEAD') data = null;
  else if (isWrite) {
    // A single object asked with single() is already the row; everything else is rows.
    const asObject = state.accept === 'object' && data !== null && typeof data === 'object' && !Array.isArray(data) && !isDeleteEnvelope(data);
    data = !state.returning ? null : asObject ? data : writtenRows(data);
  }
  if (Array.isArray(data) && (state.maybeSingle || state.accept === 'object')) {
    if (data.length > 1 || (data.length === 0 && !state.maybeSingle)) return notOneRow(res, data.length);
    data = data[0] ?? null;
  }
  return {
    data, error: null,
    count: state.count === undefined ? null : parseCount(res.headers.get('content-range')),
    status: res.status, statusText: res.statusText,
    nextCursor: res.headers.get('x-next-cursor'),
  };
}
