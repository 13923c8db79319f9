// GraphQL filter arguments → the shared filter AST (query/ast.ts), the one REST query strings,
// the `/query` JSON body and realtime subscriptions also become (hardening item 3.2): the
// planner then checks and types the values exactly as for REST, and realtime evaluates the
// same tree. `<field>_<op>` with the operators below, plus `_and`, `_or`, `_not`. Unlike
// upstream, `is_null: false` means IS NOT NULL and `contained_by` is honoured
// (../shared/reference/fluxbase-surface-data.md §3 QUIRKS).
import type { Column } from '../db/index.ts';
import { QueryError, type FilterLeaf, type FilterNode, type Operation } from '../query/index.ts';
import type { TableModel } from './model.ts';

export type FilterOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'like' | 'ilike' | 'is_null' | 'contains' | 'contained_by';

export type ColumnKind = 'int' | 'bigint' | 'float' | 'bool' | 'uuid' | 'datetime' | 'json' | 'array' | 'string';

export function columnKind(column: Column): ColumnKind {
  if (column.category === 'A') return 'array';
  return typeKind(column.udtName, column.category);
}

/** The kind of a type by its `typname` (function arguments and results have no Column). */
export function typeKind(udtName: string, category = ''): ColumnKind {
  if (udtName.startsWith('_')) return 'array';
  switch (udtName) {
    case 'int2': case 'int4': return 'int';
    case 'int8': return 'bigint';
    case 'float4': case 'float8': case 'numeric': return 'float';
    case 'bool': return 'bool';
    case 'uuid': return 'uuid';
    case 'json': case 'jsonb': return 'json';
    case 'date': case 'time': case 'timetz': case 'timestamp': case 'timestamptz': case 'interval': return 'datetime';
    default: return category === 'R' || category === 'G' || udtName === 'vector' ? 'json' : 'string';
  }
}

/** The operators a column offers, in schema order. */
export function operatorsFor(kind: ColumnKind): FilterOp[] {
  switch (kind) {
    case 'bool': return ['eq', 'neq', 'is_null'];
    case 'json': return ['eq', 'neq', 'is_null', 'contains', 'contained_by'];
    case 'array': return ['is_null', 'contains', 'contained_by'];
    case 'string': return ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'like', 'ilike', 'is_null'];
    case 'uuid': return ['eq', 'neq', 'in', 'is_null'];
    default: return ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'is_null'];
  }
}

const OPS: ReadonlySet<string> = new Set<FilterOp>(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'like', 'ilike', 'is_null', 'contains', 'contained_by']);

/** `title_ilike` → ['title', 'ilike']; the longest operator suffix wins (`x_contained_by`). */
export function splitFilterKey(key: string): [string, FilterOp] | undefined {
  for (const op of ['contained_by', 'is_null', 'contains', 'ilike', 'like', 'neq', 'gte', 'lte', 'eq', 'gt', 'lt', 'in'] as const) {
    if (key.endsWith(`_${op}`) && key.length > op.length + 1) return [key.slice(0, -(op.length + 1)), op];
  }
  return undefined;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A PostgreSQL array literal of `items` (what `cs.{a,b}` carries in a REST query string). */
export function arrayLiteral(items: unknown[]): string {
  const quote = (v: unknown) => (v === null || v === undefined ? 'NULL' : `"${text(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  return `{${items.map(quote).join(',')}}`;
}

function leaf(column: string, operation: Operation, negated = false): FilterLeaf {
  return { kind: 'filter', field: { column, path: [] }, negated, operation };
}

function containment(column: Column, op: 'cs' | 'cd', value: unknown): Operation {
  if (column.category === 'A') {
    if (!Array.isArray(value)) throw new QueryError('INVALID_FILTER', `${column.name}: contains/contained_by on an array column takes a list of values`);
    return { op, value: arrayLiteral(value) };
  }
  return { op, value: JSON.stringify(value) };
}

function opFor(column: Column, op: FilterOp, value: unknown): FilterLeaf {
  switch (op) {
    case 'is_null':
      if (typeof value !== 'boolean') throw new QueryError('INVALID_FILTER', `${column.name}_is_null takes true or false`);
      return leaf(column.name, { op: 'is', value: 'null' }, !value);
    case 'in':
      if (!Array.isArray(value)) throw new QueryError('INVALID_FILTER', `${column.name}_in takes a list`);
      return leaf(column.name, { op: 'in', values: value.map(text) });
    case 'contains': return leaf(column.name, containment(column, 'cs', value));
    case 'contained_by': return leaf(column.name, containment(column, 'cd', value));
    default:
      if (value === null) throw new QueryError('INVALID_FILTER', `${column.name}_${op} cannot compare with null; use ${column.name}_is_null`);
      return leaf(column.name, { op, value: columnKind(column) === 'json' ? JSON.stringify(value) : text(value) });
  }
}

/**
 * The filter input object of `model` (as graphql-js coerced it) → one AST node, or undefined
 * for an empty filter. Keys are ANDed. Unknown keys cannot reach here (validation), but the
 * error is descriptive anyway, since subscriptions and tests call this directly.
 */
export function filterToAst(model: TableModel, input: Record<string, unknown> | null | undefined): FilterNode | undefined {
  if (!input) return undefined;
  const children: FilterNode[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (key === '_and' || key === '_or') {
      if (!Array.isArray(value)) throw new QueryError('INVALID_FILTER', `${key} takes a list of filters`);
      const parts = value.map((v) => filterToAst(model, v as Record<string, unknown>)).filter((n): n is FilterNode => n !== undefined);
      if (parts.length > 0) children.push({ kind: key === '_and' ? 'and' : 'or', negated: false, children: parts });
      continue;
    }
    if (key === '_not') {
      const inner = filterToAst(model, value as Record<string, unknown>);
      if (inner) children.push({ ...inner, negated: !inner.negated });
      continue;
    }
    const split = splitFilterKey(key);
    const column = split && model.columns.get(split[0]);
    if (!split || !column || !OPS.has(split[1])) {
      throw new QueryError('INVALID_FILTER', `Unknown filter field ${JSON.stringify(key)} on ${model.typeName}: use <field>_<operator> (eq, neq, gt, gte, lt, lte, in, like, ilike, is_null, contains, contained_by) or _and, _or, _not`);
    }
    children.push(opFor(column, split[1], value));
  }
  if (children.length === 0) return undefined;
  return children.length === 1 ? children[0] : { kind: 'and', negated: false, children };
}
