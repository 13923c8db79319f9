// Runs DDL on the owner connection (deps.db.admin) in one transaction, grants the new
// table's serial sequences to the API roles, then reloads the schema cache so the next
// request sees the change. PostgreSQL errors become catalog errors; 5xx carry no SQL.
import type postgres from 'postgres';
import { AppError, fromPgError, isPgError } from '../../http/index.ts';
import type { AdminDeps } from '../deps.ts';

/** What was being changed, for the 404/409 messages. */
export interface DdlTarget {
  resource: 'schema' | 'table' | 'column';
  name: string;
}

function mapError(err: unknown, target: DdlTarget): unknown {
  if (!isPgError(err)) return err;
  switch (err.code) {
    case '42P06': case '42P07': case '42701': case '42710':
      return new AppError('ALREADY_EXISTS', { message: `${target.resource} "${target.name}" already exists`, details: { resource: target.resource }, cause: err });
    case '3F000':
      return new AppError('NOT_FOUND', { message: 'Schema not found', details: { resource: 'schema' }, cause: err });
    case '42P01':
      return new AppError('NOT_FOUND', { message: 'Table not found', details: { resource: 'table' }, cause: err });
    case '42703':
      return new AppError('NOT_FOUND', { message: 'Column not found', details: { resource: 'column' }, cause: err });
    case '2BP01':
      return new AppError('CONFLICT', { message: `Other objects depend on ${target.resource} "${target.name}"; drop them first`, cause: err });
    case '42704': case '42P16': case '42611': case '42804': case '42P18':
      return new AppError('VALIDATION_FAILED', { message: err.message, cause: err });
    default:
      return fromPgError(err, { anonymous: false });
  }
}

/** Run `statements` in one transaction on the owner connection, then reload the cache. */
export async function runDdl(
  deps: AdminDeps, target: DdlTarget, statements: string[],
  after?: (tx: postgres.TransactionSql) => Promise<void>,
): Promise<void> {
  try {
    await deps.db.admin.begin(async (tx) => {
      for (const statement of statements) await tx.unsafe(statement);
      if (after) await after(tx);
    });
  } catch (err) {
    throw mapError(err, target);
  }
  await deps.schema.reload();
}

/** Grant the sequences behind serial columns of a new table to the API roles. */
export function grantSerialSequences(schemaTable: string, columns: string[]) {
  return async (tx: postgres.TransactionSql): Promise<void> => {
    for (const column of columns) {
      const [row] = await tx<{ seq: string | null }[]>`select pg_get_serial_sequence(${schemaTable}, ${column}) as seq`;
      // The catalog returns the sequence name already quoted as needed.
      if (row?.seq) await tx.unsafe(`grant usage, select, update on sequence ${row.seq} to anon, authenticated, service_role`);
    }
  };
}
