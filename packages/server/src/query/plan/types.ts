// Plans: a parsed request checked against the schema cache. Plain data
// (docs/architecture.md "Code conventions"), compiled to SQL by query/sql. Every name in a
// plan exists in the schema, every JSON path is valid for its column, and filter values are
// typed and normalized, so the compiler looks nothing up and rejects nothing.
import type { Column, DbFunction, Relationship, Table } from '../../db/index.ts';
import type { AggregateFn, CompareOp, CountMode, FtsOp, GeoOp, IsValue, JsonPathStep, QuantifiableOp } from '../ast.ts';

export interface PlannedColumn {
  kind: 'column';
  /** Output key in the row object. */
  key: string;
  column: Column;
  path: JsonPathStep[];
  /** Canonical SQL type (resolved by plan/casts), never client text. */
  cast?: string;
  aggregate?: AggregateFn;
  aggregateCast?: string;
}

/** `count()` / `count(*)`. */
export interface PlannedCountAll {
  kind: 'count';
  key: string;
  cast?: string;
}

export interface PlannedEmbed {
  kind: 'embed';
  key: string;
  /** Name used to refer to the embed in filters and order (`rel.col=…`, `order=rel(col)`): the alias if any, else the relation text. */
  name: string;
  relationship: Relationship;
  toOne: boolean;
  join: 'inner' | 'left';
  spread: boolean;
  node: ReadNode;
}

export type PlannedItem = PlannedColumn | PlannedCountAll | PlannedEmbed;

export interface PlannedOrder {
  /** A column of this level's table, or of `embed`'s table when set. */
  column: Column;
  path: JsonPathStep[];
  /** Set when ordering by a column of a to-one embed (`rel(col).desc`). */
  embed?: PlannedEmbed;
  direction: 'asc' | 'desc';
  nulls?: 'first' | 'last';
  vector?: { op: 'vec_l2' | 'vec_cos' | 'vec_ip'; value: number[] };
}

export interface ReadNode {
  table: Table;
  /** SQL alias of this level's table (`t0`, `t1`, …). */
  alias: string;
  items: PlannedItem[];
  /** ANDed together. */
  filters: PlannedFilter[];
  order: PlannedOrder[];
  limit?: number;
  offset?: number;
  /** Grouping columns when the level has aggregates (explicit `group_by` or the non-aggregated columns). */
  groupBy: Column[] | null;
  /** Embeds by the names filters/order may use. */
  embeds: Map<string, PlannedEmbed>;
}

/** Operators matched against the text form of a field. */
export type PatternOp = 'like' | 'ilike' | 'match' | 'imatch';

/** A filter operation with its values as the compiler binds them (always as text parameters). */
export type PlannedOperation =
  /** eq … lte, isdistinct and the range/array operators cs … adj; an array field's value is a `{…}` literal. */
  | { kind: 'compare'; op: Exclude<CompareOp, PatternOp>; value: string }
  /** Matched against the field's text form; like/ilike patterns have `*` turned into `%`. */
  | { kind: 'pattern'; op: PatternOp; value: string }
  /** `op(any|all).{…}`, each value normalized as for 'compare' or 'pattern'. */
  | { kind: 'quantified'; op: QuantifiableOp; quantifier: 'any' | 'all'; values: string[] }
  | { kind: 'in'; values: string[] }
  | { kind: 'is'; value: IsValue }
  /** `language` is a plain word (the parser checks), bound as regconfig. */
  | { kind: 'fts'; op: FtsOp; language?: string; value: string }
  /** `shape` is GeoJSON text. */
  | { kind: 'geo'; op: Exclude<GeoOp, 'st_dwithin'>; shape: string }
  | { kind: 'dwithin'; distance: string; shape: string };

/** A comparison of one field of the level's table. */
export interface PlannedLeaf {
  kind: 'filter';
  /** `not.` prefix. */
  negated: boolean;
  column: Column;
  /** Checked: the column is json or jsonb, and `->>` is only the last step. */
  path: JsonPathStep[];
  /**
   * SQL type the values are cast to (`$n::text::<type>`): the column's type (a typmod-free
   * name when the typmod would change values, see plan/columns paramType), `text` after
   * `->>`, the column's json/jsonb after `->`, and jsonb for a json field (see asJsonb).
   */
  type: string;
  /** json has no comparison operators: the field is json, and is compared as `(…)::jsonb`. */
  asJsonb: boolean;
  /** The field is an array (an array column without a JSON path). */
  isArray: boolean;
  operation: PlannedOperation;
}

/** `rel=is.null` / `rel=not.is.null`: whether the level's embed `rel` has a row. */
export interface PlannedEmbedFilter {
  kind: 'embed';
  embed: PlannedEmbed;
  /** True for `not.is.null` (the embed has a row), false for `is.null`. */
  exists: boolean;
}

export interface PlannedGroup {
  kind: 'and' | 'or';
  negated: boolean;
  children: PlannedFilter[];
}

/** A filter tree checked against one table (and, in reads, its level's embeds). */
export type PlannedFilter = PlannedLeaf | PlannedEmbedFilter | PlannedGroup;

export interface CursorPlan {
  column: Column;
  primaryKey: Column[];
  desc: boolean;
  /** Decoded position to continue after; absent on the first page. */
  after?: { value: unknown; key: unknown[] };
}

export interface ReadPlan {
  kind: 'read';
  root: ReadNode;
  count?: CountMode;
  cursor?: CursorPlan;
  /** Characters kept in text values (`truncate=n`, /api/v1). */
  truncate?: number;
}

/** Where the root rows come from: the table itself, or a data-modifying CTE / function call. */
export type RootSource =
  | { kind: 'table' }
  | { kind: 'cte'; name: string }
  | { kind: 'function'; fn: DbFunction; argsSql: string };
