// Resolving a name to a column of a table, and a JSON path after it, for every planner
// pass (select, filters, order, cursor, writes). The planner is the only validator: what
// passes here reaches query/sql as a Column and a checked path, and the compiler only
// quotes them. Also the type a filter's values are bound as, decided once per field.
import type { Column, Table } from '../../db/index.ts';
import type { JsonPathStep } from '../ast.ts';
import { QueryError, quoteInput } from '../errors.ts';
import { quoteIdent } from '../ident.ts';
import { closestName } from '../suggest.ts';

export function unknownColumn(table: Table, name: string): QueryError {
  const closest = closestName(name, table.columnMap.keys());
  return new QueryError('UNKNOWN_COLUMN', `Column ${quoteInput(name)} does not exist in ${quoteInput(`${table.schema}.${table.name}`)}`, {
    details: { table: `${table.schema}.${table.name}`, column: name },
    hint: closest ? `Perhaps you meant ${quoteInput(closest)}` : undefined,
  });
}

export function columnOf(table: Table, name: string): Column {
  const col = table.columnMap.get(name);
  if (!col) throw unknownColumn(table, name);
  return col;
}

/** A JSON path needs a json or jsonb column, and `->>` (which yields text) can only be its last step. */
export function checkJsonPath(column: Column, path: readonly JsonPathStep[]): void {
  if (path.length === 0) return;
  if (column.udtName !== 'jsonb' && column.udtName !== 'json') {
    throw new QueryError('INVALID_QUERY', `Column ${quoteInput(column.name)} is ${column.type}; a JSON path (->, ->>) needs a json or jsonb column`, {
      details: { column: column.name, type: column.type },
    });
  }
  if (path.slice(0, -1).some((s) => s.op === '->>')) {
    throw new QueryError('INVALID_QUERY', `In ${quoteInput(column.name)}, ->> yields text and must be the last step of a JSON path`, {
      details: { column: column.name },
    });
  }
}

/**
 * The type to cast a parameter to for a column: format_type text, except that a typmod
 * would change values (`numeric(10,2)` rounds, `character(5)` pads, `varchar(3)` cuts),
 * so such types are named by their catalog name without it.
 */
export function paramType(column: Column): string {
  return column.type.includes('(') ? `${quoteIdent(column.udtSchema)}.${quoteIdent(column.udtName)}` : column.type;
}

/** SQL type of a column followed by a (checked) JSON path: `->>` yields text, `->` the column's json/jsonb. */
export function fieldType(column: Column, path: readonly JsonPathStep[]): string {
  const last = path[path.length - 1];
  if (!last) return paramType(column);
  return last.op === '->>' ? 'text' : column.udtName;
}
