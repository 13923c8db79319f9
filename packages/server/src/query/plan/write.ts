// The write planner: insert/upsert, update and delete checked against the schema cache.
// The returned rows (`Prefer: return=representation`) are a ReadPlan over the written
// rows, so writes can embed and select like reads.
import type { Column, Table } from '../../db/index.ts';
import type { FilterNode } from '../ast.ts';
import { QueryError, quoteInput } from '../errors.ts';
import { columnOf } from './columns.ts';
import { planFilter } from './filter.ts';
import type { PlannedFilter, ReadPlan } from './types.ts';

export interface InsertPlan {
  kind: 'insert';
  table: Table;
  columns: Column[];
  /** The rows as one JSON array text (bound as one parameter). */
  rowsJson: string;
  rowCount: number;
  onConflict?: { columns: Column[]; action: 'merge' | 'ignore' };
  /** `Prefer: missing=default`: keys absent from a row take the column DEFAULT. */
  missingDefault: boolean;
  returning: ReadPlan | null;
}

export interface UpdatePlan {
  kind: 'update';
  table: Table;
  columns: Column[];
  patchJson: string;
  /** ANDed together. */
  filters: PlannedFilter[];
  returning: ReadPlan | null;
}

export interface DeletePlan {
  kind: 'delete';
  table: Table;
  /** ANDed together. */
  filters: PlannedFilter[];
  returning: ReadPlan | null;
}

export type WritePlan = InsertPlan | UpdatePlan | DeletePlan;

export interface InsertInput {
  body: unknown;
  /** `columns=a,b`: only these keys are written; others in the body are ignored. */
  columns?: string[] | undefined;
  onConflict?: string[] | undefined;
  resolution?: 'merge' | 'ignore' | undefined;
  missingDefault: boolean;
  maxBatchSize: number;
  returning: ReadPlan | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function writable(table: Table, column: Column): Column {
  if (column.generated) {
    throw new QueryError('INVALID_REQUEST_BODY', `Column ${quoteInput(column.name)} is generated and cannot be written`, { details: { column: column.name } });
  }
  return column;
}

export function planInsert(table: Table, input: InsertInput): InsertPlan {
  if (!table.insertable) {
    throw new QueryError('METHOD_NOT_ALLOWED', `${quoteInput(`${table.schema}.${table.name}`)} does not accept inserts`, { hint: 'Views accept writes only when PostgreSQL can update them' });
  }
  const rows = Array.isArray(input.body) ? input.body : [input.body];
  if (rows.length === 0) throw new QueryError('INVALID_REQUEST_BODY', 'The body is an empty array; send at least one row');
  if (rows.length > input.maxBatchSize) {
    throw new QueryError('BATCH_TOO_LARGE', `The body has ${rows.length} rows; the limit is ${input.maxBatchSize} (api.max_batch_size)`, { details: { rows: rows.length, max: input.maxBatchSize } });
  }
  let columns: Column[];
  if (input.columns) {
    columns = input.columns.map((name) => writable(table, columnOf(table, name)));
  } else {
    const seen = new Map<string, Column>();
    for (const row of rows) {
      if (!isRecord(row)) throw new QueryError('INVALID_REQUEST_BODY', 'Each row must be a JSON object');
      for (const key of Object.keys(row)) if (!seen.has(key)) seen.set(key, writable(table, columnOf(table, key)));
    }
    // Table order keeps statement text stable for prepared statements.
    columns = table.columns.filter((c) => seen.has(c.name));
  }
  for (const row of rows) if (!isRecord(row)) throw new QueryError('INVALID_REQUEST_BODY', 'Each row must be a JSON object');
  if (columns.length === 0 && rows.length > 1) {
    throw new QueryError('INVALID_REQUEST_BODY', 'Rows without any column can only be inserted one at a time');
  }
  const plan: InsertPlan = {
    kind: 'insert', table, columns, rowsJson: JSON.stringify(rows), rowCount: rows.length,
    missingDefault: input.missingDefault, returning: input.returning,
  };
  if (input.resolution) {
    const names = input.onConflict ?? table.primaryKey;
    if (names.length === 0) {
      throw new QueryError('INVALID_QUERY', `${quoteInput(table.name)} has no primary key; name the conflict columns with on_conflict`);
    }
    plan.onConflict = { columns: names.map((n) => columnOf(table, n)), action: input.resolution };
  } else if (input.onConflict) {
    // on_conflict without a resolution preference still means "merge" (postgrest-js upsert always sends one).
    plan.onConflict = { columns: input.onConflict.map((n) => columnOf(table, n)), action: 'merge' };
  }
  return plan;
}

export function planUpdate(table: Table, body: unknown, filters: FilterNode[], returning: ReadPlan | null, requireFilter: boolean): UpdatePlan {
  if (!table.updatable) throw new QueryError('METHOD_NOT_ALLOWED', `${quoteInput(`${table.schema}.${table.name}`)} does not accept updates`);
  if (!isRecord(body)) throw new QueryError('INVALID_REQUEST_BODY', 'The update body must be a JSON object');
  const keys = Object.keys(body);
  if (keys.length === 0) throw new QueryError('INVALID_REQUEST_BODY', 'The update body has no columns to change');
  if (requireFilter && filters.length === 0) {
    throw new QueryError('FILTER_REQUIRED', 'Updating without a filter would change every row', { hint: 'Add a filter such as ?id=eq.1 (api.require_filter_for_mutations)' });
  }
  const names = new Set(keys);
  const columns = table.columns.filter((c) => names.has(c.name));
  for (const key of keys) writable(table, columnOf(table, key));
  // Filter values are type-checked as for reads and deletes (a 400 naming the column).
  const planned = filters.map((f) => planFilter(table, f));
  return { kind: 'update', table, columns, patchJson: JSON.stringify(body), filters: planned, returning };
}

export function planDelete(table: Table, filters: FilterNode[], returning: ReadPlan | null, requireFilter: boolean): DeletePlan {
  if (!table.deletable) throw new QueryError('METHOD_NOT_ALLOWED', `${quoteInput(`${table.schema}.${table.name}`)} does not accept deletes`);
  if (requireFilter && filters.length === 0) {
    throw new QueryError('FILTER_REQUIRED', 'Deleting without a filter would remove every row', { hint: 'Add a filter such as ?id=eq.1 (api.require_filter_for_mutations)' });
  }
  return { kind: 'delete', table, filters: filters.map((f) => planFilter(table, f)), returning };
}
