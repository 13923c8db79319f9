// Filter trees checked against a table: every leaf names a column (UNKNOWN_COLUMN with the
// closest name otherwise) or, in a read, an embed of its level (`rel=is.null`); JSON paths
// are checked; comparison values are checked against the column's type; and values are
// normalized (array literals, like patterns, st_dwithin's distance and shape) so that
// query/sql only emits SQL. REST reads and writes use it; GraphQL and realtime filters are
// meant to plan through it too.
import type { Table } from '../../db/index.ts';
import type { FilterLeaf, FilterNode, Operation } from '../ast.ts';
import { QueryError, quoteInput } from '../errors.ts';
import { normalizeArrayValue } from '../parse/array-literal.ts';
import { checkJsonPath, columnOf, fieldType } from './columns.ts';
import type { PatternOp, PlannedEmbed, PlannedEmbedFilter, PlannedFilter, PlannedLeaf, PlannedOperation } from './types.ts';
import { checkOperationValues } from './values.ts';

export interface PlanFilterOptions {
  /** The level's embeds by name (reads): `rel=is.null` / `rel=not.is.null` filter by them. Default: none. */
  embeds?: ReadonlyMap<string, PlannedEmbed>;
  /**
   * Check comparison values against their column's type (INVALID_INPUT). Default true, and
   * every plan passes it; false lets the compiler's own tests (sql/filter.test.ts) feed it
   * hostile values the planner would refuse, to show they stay parameters.
   */
  checkValues?: boolean;
}

const isPatternOp = (op: string): op is PatternOp => op === 'like' || op === 'ilike' || op === 'match' || op === 'imatch';
const likePattern = (v: string): string => v.replaceAll('*', '%');

/**
 * `rel=is.null` / `rel=not.is.null` where `rel` is an embed of the level, even when a column
 * has that name too (as the compiler always read it); any other operator on an embed name
 * that is not also a column is INVALID_FILTER. Undefined: the leaf filters a column.
 */
function embedFilter(table: Table, leaf: FilterLeaf, embeds: ReadonlyMap<string, PlannedEmbed> | undefined): PlannedEmbedFilter | undefined {
  const name = leaf.field.column;
  const embed = leaf.field.path.length === 0 ? embeds?.get(name) : undefined;
  if (!embed) return undefined;
  const o = leaf.operation;
  if (o.op === 'is' && o.value === 'null') return { kind: 'embed', embed, exists: leaf.negated };
  if (table.columnMap.has(name)) return undefined;
  throw new QueryError('INVALID_FILTER', `Only is.null / not.is.null can filter by the embedded resource ${quoteInput(name)}`);
}

/** Values as the compiler binds them; `isArray` fields take comparison values as `{…}` array literals. */
function planOperation(o: Operation, isArray: boolean): PlannedOperation {
  const single = (value: string): string => (isArray ? normalizeArrayValue(value) : value);
  if (o.op === 'in') return { kind: 'in', values: o.values };
  if ('quantifier' in o) {
    const values = o.op === 'like' || o.op === 'ilike' ? o.values.map(likePattern) : isPatternOp(o.op) ? o.values : o.values.map(single);
    return { kind: 'quantified', op: o.op, quantifier: o.quantifier, values };
  }
  switch (o.op) {
    case 'like': case 'ilike':
      return { kind: 'pattern', op: o.op, value: likePattern(o.value) };
    case 'match': case 'imatch':
      return { kind: 'pattern', op: o.op, value: o.value };
    case 'is':
      return { kind: 'is', value: o.value };
    case 'fts': case 'plfts': case 'phfts': case 'wfts':
      return o.language === undefined ? { kind: 'fts', op: o.op, value: o.value } : { kind: 'fts', op: o.op, language: o.language, value: o.value };
    case 'st_dwithin': {
      // `<distance>,<GeoJSON>` (the parser checks the form).
      const comma = o.value.indexOf(',');
      return { kind: 'dwithin', distance: o.value.slice(0, comma).trim(), shape: o.value.slice(comma + 1).trim() };
    }
    case 'st_intersects': case 'st_contains': case 'st_within': case 'st_touches': case 'st_crosses': case 'st_overlaps':
      return { kind: 'geo', op: o.op, shape: o.value };
    default:
      return { kind: 'compare', op: o.op, value: single(o.value) };
  }
}

function planLeaf(table: Table, leaf: FilterLeaf, checkValues: boolean): PlannedLeaf {
  const column = columnOf(table, leaf.field.column);
  const path = leaf.field.path;
  if (path.length > 0) checkJsonPath(column, path);
  else if (checkValues) checkOperationValues(table, column, leaf.operation);
  const type = fieldType(column, path);
  const isArray = path.length === 0 && column.category === 'A';
  // json has no comparison operators; compare as jsonb.
  const asJsonb = type === 'json';
  return {
    kind: 'filter', negated: leaf.negated, column, path, type: asJsonb ? 'jsonb' : type, asJsonb, isArray,
    operation: planOperation(leaf.operation, isArray),
  };
}

/** Check a filter tree against `table` (see the header); throws QueryError with the first problem, leaves in order. */
export function planFilter(table: Table, node: FilterNode, options: PlanFilterOptions = {}): PlannedFilter {
  if (node.kind !== 'filter') {
    return { kind: node.kind, negated: node.negated, children: node.children.map((c) => planFilter(table, c, options)) };
  }
  return embedFilter(table, node, options.embeds) ?? planLeaf(table, node, options.checkValues ?? true);
}
