// What a table request built with `from()` says, as plain data: the builders only fill
// this in, and encode.ts renders it either as a query string or as the `/query` JSON body
// (docs/rest.md "Queries in a JSON body"), so both forms always carry the same request.
import type { HttpMethod } from '../transport.ts';

export type CountOption = 'exact' | 'planned' | 'estimated';

/**
 * One `column=[not.]operator.value` filter. `operator` keeps its modifiers
 * (`like(any)`, `fts(english)`); `value` is the text after the operator, already in the
 * grammar (`(a,"b,c")` for `in`, `{a,b}` for arrays). `items` holds the raw elements of
 * an `in` list so the JSON body can send them as an array.
 */
export interface OperatorFilter {
  kind: 'operator';
  /** Embed path for `referencedTable` filters (`author`, `author.org`), else undefined. */
  scope: string | undefined;
  column: string;
  negated: boolean;
  operator: string;
  value: string;
  items?: readonly string[];
}

/** `or=(…)` / `and=(…)` with a caller-written expression in the grammar (negate inside: `not.or(…)`). */
export interface LogicFilter {
  kind: 'logic';
  scope: string | undefined;
  group: 'or' | 'and';
  expression: string;
}

/** Fluxbase's `between` / `notBetween` (inclusive bounds). */
export interface BetweenFilter {
  kind: 'between';
  column: string;
  min: string;
  max: string;
  negated: boolean;
}

export type FilterEntry = OperatorFilter | LogicFilter | BetweenFilter;

export interface OrderEntry {
  scope: string | undefined;
  column: string;
  ascending: boolean;
  /** Only sent when the caller asked: PostgreSQL's default depends on the direction. */
  nullsFirst: boolean | undefined;
}

export interface RangeEntry {
  limit?: number;
  offset?: number;
}

export interface QueryState {
  method: HttpMethod;
  /** Path under the base URL: `/api/v1/tables/<t>` or `/api/v1/tables/<schema>/<t>`. */
  path: string;
  /** `select` columns as sent (whitespace removed); undefined means `*`. */
  select: string | undefined;
  /** A write chained `.select()`: rows come back (`return=representation`). */
  returning: boolean;
  filters: FilterEntry[];
  order: OrderEntry[];
  /** Keyed by scope; '' is the top-level resource. */
  ranges: Map<string, RangeEntry>;
  count: CountOption | undefined;
  body: unknown;
  onConflict: string | undefined;
  resolution: 'merge-duplicates' | 'ignore-duplicates' | undefined;
  missingDefault: boolean;
  rollback: boolean;
  maxAffected: number | undefined;
  cursor: { column: string; value: string | undefined } | undefined;
  /** How the body should come back. */
  accept: 'json' | 'object' | 'csv';
  /** maybeSingle(): rows are fetched as an array and checked here (0 → null, >1 → error). */
  maybeSingle: boolean;
  headers: Record<string, string>;
  signal: AbortSignal | undefined;
  throwOnError: boolean;
}

export function initialState(method: HttpMethod, path: string): QueryState {
  return {
    method, path, select: undefined, returning: false, filters: [], order: [], ranges: new Map(),
    count: undefined, body: undefined, onConflict: undefined, resolution: undefined, missingDefault: false,
    rollback: false, maxAffected: undefined, cursor: undefined, accept: 'json', maybeSingle: false,
    headers: {}, signal: undefined, throwOnError: false,
  };
}

/** `/api/v1/tables/<table>` for the default schema, `/api/v1/tables/<schema>/<table>` otherwise. */
export function tablePath(schema: string | undefined, table: string): string {
  const t = encodeURIComponent(table);
  return schema === undefined ? `/api/v1/tables/${t}` : `/api/v1/tables/${encodeURIComponent(schema)}/${t}`;
}
