// The query AST: what a PostgREST query string (or the SDK's JSON `/query` body, a GraphQL
// filter argument, a realtime subscription filter) means, before it is checked against
// the schema. Plain data: no methods, no SQL. Values stay text, as PostgREST binds them,
// and PostgreSQL converts them to the column type.

/** `->` keeps JSON, `->>` yields text. A key that is a (possibly negative) integer indexes arrays. */
export interface JsonPathStep {
  op: '->' | '->>';
  key: string;
}

/** A column, optionally followed by a JSON path: `data->a->>b`. */
export interface FieldRef {
  column: string;
  path: JsonPathStep[];
}

/** Operators taking one text value. */
export type CompareOp =
  | 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte'
  | 'like' | 'ilike' | 'match' | 'imatch'
  | 'isdistinct'
  | 'cs' | 'cd' | 'ov' | 'sl' | 'sr' | 'nxr' | 'nxl' | 'adj';

/** Operators that accept the `(any)` / `(all)` modifier: `col=like(any).{a*,b*}`. */
export type QuantifiableOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'ilike' | 'match' | 'imatch';

export type FtsOp = 'fts' | 'plfts' | 'phfts' | 'wfts';

/** PostGIS operators (only when the extension is installed; the planner checks). */
export type GeoOp = 'st_intersects' | 'st_contains' | 'st_within' | 'st_touches' | 'st_crosses' | 'st_overlaps' | 'st_dwithin';

export type IsValue = 'null' | 'true' | 'false' | 'unknown';

export type Operation =
  | { op: CompareOp; value: string }
  | { op: QuantifiableOp; quantifier: 'any' | 'all'; values: string[] }
  | { op: 'in'; values: string[] }
  | { op: 'is'; value: IsValue }
  | { op: FtsOp; language?: string; value: string }
  | { op: GeoOp; value: string };

export interface FilterLeaf {
  kind: 'filter';
  field: FieldRef;
  /** `not.` prefix. */
  negated: boolean;
  operation: Operation;
}

export interface FilterGroup {
  kind: 'and' | 'or';
  negated: boolean;
  children: FilterNode[];
}

export type FilterNode = FilterLeaf | FilterGroup;

/**
 * A filter that applies at an embed path: [] is the root resource, ['author'] the embed
 * named (or aliased) `author`, ['author', 'org'] a nested one. `rel.col=eq.x`,
 * `rel.or=(…)` and `rel=not.is.null` (a leaf whose field is the embed name, resolved by
 * the planner) all land here.
 */
export interface ScopedFilter {
  path: string[];
  node: FilterNode;
}

export type AggregateFn = 'count' | 'sum' | 'avg' | 'min' | 'max';

export type SelectItem =
  | { kind: 'star' }
  | {
      kind: 'field';
      field: FieldRef;
      alias?: string;
      /** `::type` cast of the value (validated by the planner against a type-name grammar). */
      cast?: string;
      /** `col.sum()`, `count()` (then field.column is '*'), or the SDK form `sum(col)`. */
      aggregate?: AggregateFn;
      /** Cast applied after the aggregate: `col.avg()::int`. */
      aggregateCast?: string;
    }
  | {
      kind: 'embed';
      /** Table name, or FK/column/alias as PostgREST allows (`rel`, `fk_name`, `column`). */
      relation: string;
      alias?: string;
      /** `!hint`: a constraint name, a column of either side, or a junction table. */
      hint?: string;
      /** `!inner` / `!left` (default left). */
      join?: 'inner' | 'left';
      /** `...rel(cols)`: the embed's columns are merged into the parent object. */
      spread: boolean;
      select: SelectItem[];
    };

export interface OrderTerm {
  field: FieldRef;
  /** `rel(col).desc`: order by a column of a to-one embed. */
  relation?: string;
  direction: 'asc' | 'desc';
  /** Absent means PostgreSQL's default for the direction. */
  nulls?: 'first' | 'last';
  /** `col.vec_l2.[1,2,3].asc` (pgvector distance ordering). */
  vector?: { op: 'vec_l2' | 'vec_cos' | 'vec_ip'; value: number[] };
}

export interface ScopedOrder {
  path: string[];
  terms: OrderTerm[];
}

/** `limit`/`offset`, optionally scoped to an embed path (`rel.limit=5`). */
export interface ScopedRange {
  path: string[];
  limit?: number;
  offset?: number;
}

export type CountMode = 'exact' | 'planned' | 'estimated';

/** What the query string of a table request says (headers are parsed separately). */
export interface QueryRequest {
  /** Absent `select` means `*`. */
  select: SelectItem[];
  filters: ScopedFilter[];
  order: ScopedOrder[];
  ranges: ScopedRange[];
  /** `?count=` (the `/api/v1` form; `Prefer: count=` is read by rest/). */
  count?: CountMode;
  cursor?: string;
  cursorColumn?: string;
  /** `on_conflict=a,b` */
  onConflict?: string[];
  /** `columns=a,b` (writes) */
  columns?: string[];
  /** `group_by=a,b` (`/api/v1` only) */
  groupBy?: string[];
  /** `truncate=n` (`/api/v1` only, dashboard helper) */
  truncate?: number;
}

/** Limits the parser enforces (docs/rest.md "Limits"). */
export interface ParseLimits {
  maxQueryLength: number;
  maxFilterTerms: number;
  maxInItems: number;
  maxOrderTerms: number;
  maxLogicDepth: number;
  maxSelectDepth: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxQueryLength: 16 * 1024,
  maxFilterTerms: 200,
  maxInItems: 10_000,
  maxOrderTerms: 16,
  maxLogicDepth: 10,
  maxSelectDepth: 8,
};
