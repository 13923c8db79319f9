// Rendering a QueryState on the wire: the query string pairs, the `Prefer`/`Accept`
// headers, and, for reads whose query string would be too long for proxies, the JSON body
// of `POST …/query` (docs/rest.md "Queries in a JSON body") carrying the same filters.
import type { HttpMethod } from '../transport.ts';
import { quoteGrammarValue } from './format.ts';
import type { CountOption, FilterEntry, QueryState } from './state.ts';

/** Above this many characters of encoded query string a read is sent as `POST …/query`. */
export const MAX_QUERY_STRING = 4096;

export type QueryPairs = Array<[string, string]>;

const scoped = (scope: string | undefined, key: string): string => (scope === undefined ? key : `${scope}.${key}`);

function filterPairs(filter: FilterEntry): QueryPairs {
  switch (filter.kind) {
    case 'operator':
      return [[scoped(filter.scope, filter.column), `${filter.negated ? 'not.' : ''}${filter.operator}.${filter.value}`]];
    case 'logic':
      return [[scoped(filter.scope, filter.group), `(${filter.expression})`]];
    case 'between':
      return filter.negated
        ? [['or', `(${filter.column}.lt.${quoteGrammarValue(filter.min)},${filter.column}.gt.${quoteGrammarValue(filter.max)})`]]
        : [[filter.column, `gte.${filter.min}`], [filter.column, `lte.${filter.max}`]];
  }
}

function orderText(state: QueryState, scope: string | undefined): string {
  return state.order
    .filter((o) => o.scope === scope)
    .map((o) => `${o.column}.${o.ascending ? 'asc' : 'desc'}${o.nullsFirst === undefined ? '' : o.nullsFirst ? '.nullsfirst' : '.nullslast'}`)
    .join(',');
}

/** The query string of the request, in order: select, filters, order, ranges, the rest. */
export function queryPairs(state: QueryState): QueryPairs {
  const pairs: QueryPairs = [];
  if (state.select !== undefined && state.select !== '*') pairs.push(['select', state.select]);
  for (const f of state.filters) pairs.push(...filterPairs(f));
  for (const scope of new Set(state.order.map((o) => o.scope))) pairs.push([scoped(scope, 'order'), orderText(state, scope)]);
  for (const [scope, range] of state.ranges) {
    const s = scope === '' ? undefined : scope;
    if (range.limit !== undefined) pairs.push([scoped(s, 'limit'), String(range.limit)]);
    if (range.offset !== undefined) pairs.push([scoped(s, 'offset'), String(range.offset)]);
  }
  if (state.onConflict !== undefined) pairs.push(['on_conflict', state.onConflict]);
  if (state.cursor !== undefined) {
    pairs.push(['cursor_column', state.cursor.column]);
    if (state.cursor.value !== undefined) pairs.push(['cursor', state.cursor.value]);
  }
  return pairs;
}

export function encodedLength(pairs: QueryPairs): number {
  return new URLSearchParams(pairs).toString().length;
}

/** The `Prefer` header, or undefined when there is nothing to prefer. */
export function preferHeader(state: QueryState): string | undefined {
  const isWrite = state.method !== 'GET' && state.method !== 'HEAD';
  const parts: string[] = [];
  // /api/v1 returns rows by default; ask for none unless .select() was chained, so writes
  // without select() transfer nothing (postgrest-js semantics).
  if (isWrite) parts.push(state.returning ? 'return=representation' : 'return=minimal');
  if (state.count !== undefined) parts.push(`count=${state.count}`);
  if (state.resolution !== undefined) parts.push(`resolution=${state.resolution}`);
  if (state.missingDefault) parts.push('missing=default');
  if (state.rollback) parts.push('tx=rollback');
  if (state.maxAffected !== undefined) parts.push('handling=strict', `max-affected=${state.maxAffected}`);
  return parts.length === 0 ? undefined : parts.join(',');
}

const ACCEPT: Record<QueryState['accept'], string | undefined> = {
  json: undefined,
  object: 'application/vnd.pgrst.object+json',
  csv: 'text/csv',
};

export function requestHeaders(state: QueryState): Record<string, string> {
  const headers: Record<string, string> = {};
  const prefer = preferHeader(state);
  if (prefer !== undefined) headers.Prefer = prefer;
  const accept = ACCEPT[state.accept];
  if (accept !== undefined) headers.Accept = accept;
  return { ...headers, ...state.headers };
}

export interface QueryBody {
  select?: string;
  filters?: Array<{ column: string; operator: string; value: string | string[] }>;
  orFilters?: string[];
  andFilters?: string[];
  betweenFilters?: Array<{ column: string; min: string; max: string; negated: boolean }>;
  order?: Array<{ column: string; direction: 'asc' | 'desc'; nulls?: 'first' | 'last' }>;
  limit?: number;
  offset?: number;
  count?: CountOption;
  cursor?: string;
  cursor_column?: string;
}

function addFilter(body: QueryBody, f: FilterEntry): void {
  switch (f.kind) {
    case 'between':
      (body.betweenFilters ??= []).push({ column: f.column, min: f.min, max: f.max, negated: f.negated });
      return;
    case 'logic':
      (f.group === 'or' ? (body.orFilters ??= []) : (body.andFilters ??= [])).push(f.expression);
      return;
    case 'operator':
      // The operator keeps `not.` and its modifiers and the value its grammar text, as in the
      // query string; lists go as JSON arrays of their elements.
      (body.filters ??= []).push({
        column: f.scope === undefined ? f.column : `${f.scope}.${f.column}`,
        operator: `${f.negated ? 'not.' : ''}${f.operator}`,
        value: f.items !== undefined ? [...f.items] : f.value,
      });
  }
}

/**
 * The `/query` body for a read, or undefined when the request uses something the body
 * cannot say (or/and groups, order or ranges on embedded resources): it then stays a GET.
 */
export function queryBody(state: QueryState): QueryBody | undefined {
  const embedded = state.filters.some((f) => f.kind === 'logic' && f.scope !== undefined)
    || state.order.some((o) => o.scope !== undefined)
    || [...state.ranges.keys()].some((k) => k !== '');
  if (embedded) return undefined;
  const body: QueryBody = {};
  if (state.select !== undefined && state.select !== '*') body.select = state.select;
  for (const f of state.filters) addFilter(body, f);
  if (state.order.length > 0) {
    body.order = state.order.map((o) => ({
      column: o.column, direction: o.ascending ? 'asc' : 'desc',
      ...(o.nullsFirst === undefined ? {} : { nulls: o.nullsFirst ? 'first' : 'last' }),
    }));
  }
  const range = state.ranges.get('');
  if (range?.limit !== undefined) body.limit = range.limit;
  if (range?.offset !== undefined) body.offset = range.offset;
  if (state.count !== undefined) body.count = state.count;
  if (state.cursor !== undefined) {
    body.cursor_column = state.cursor.column;
    if (state.cursor.value !== undefined) body.cursor = state.cursor.value;
  }
  return body;
}

export interface WireRequest {
  method: HttpMethod;
  path: string;
  query: QueryPairs;
  headers: Record<string, string>;
  body: unknown;
}

/** The HTTP request for a state: a long read becomes `POST <path>/query` with a JSON body. */
export function wireRequest(state: QueryState): WireRequest {
  const query = queryPairs(state);
  const headers = requestHeaders(state);
  const isRead = state.method === 'GET' || state.method === 'HEAD';
  if (isRead && encodedLength(query) > MAX_QUERY_STRING) {
    const body = queryBody(state);
    if (body !== undefined) return { method: 'POST', path: `${state.path}/query`, query: [], headers, body };
  }
  return { method: state.method, path: state.path, query, headers, body: state.body };
}
