// Plans: a parsed request checked against the schema cache. Plain data (CONVENTIONS 2),
// compiled to SQL by query/sql. Every name in a plan exists in the schema.
import type { Column, DbFunction, Relationship, Table } from '../../db/index.ts';
import type { AggregateFn, CountMode, FieldRef, FilterNode, JsonPathStep } from '../ast.ts';

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
  field: FieldRef;
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
  filters: FilterNode[];
  order: PlannedOrder[];
  limit?: number;
  offset?: number;
  /** Grouping columns when the level has aggregates (explicit `group_by` or the non-aggregated columns). */
  groupBy: Column[] | null;
  /** Embeds by the names filters/order may use. */
  embeds: Map<string, PlannedEmbed>;
}

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
