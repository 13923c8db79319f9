// Runs an admin SQL script (POST /admin/sql/execute) statement by statement inside one
// request transaction: each statement under a savepoint (an error is reported on that
// statement and the script goes on, as psql does), at most MAX_ROWS rows kept per
// statement (read through a cursor, so a huge result is never loaded), and one time
// budget for the whole script, re-applied before every statement so a script cannot lift it.
import type { ReservedSql } from '../../db/index.ts';
import { isPgError } from '../../http/index.ts';

export const MAX_ROWS = 1000;
export const TIME_BUDGET_MS = 30_000;

export interface StatementResult {
  statement: string;
  columns: string[];
  rows: Record<string, unknown>[];
  row_count: number;
  /** Rows changed by INSERT/UPDATE/DELETE/MERGE (and the count of other commands that report one). */
  affected_rows?: number;
  /** More than MAX_ROWS rows came back; the rest were not read. */
  truncated?: boolean;
  execution_time_ms: number;
  error?: string;
}

/** Transaction control would end the request transaction under us. */
const TX_CONTROL = /^(begin|start\s+transaction|commit|end|abort|rollback(?!\s+to\b)|savepoint|release|prepare\s+transaction|commit\s+prepared|rollback\s+prepared)\b/i;
const WRITE_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY']);
/** Statements that may change what the schema cache holds (DDL reports no command tag through a cursor). */
const SCHEMA_CHANGING = /^(create|alter|drop|comment|grant|revoke|security|import|do|call)\b/i;

/** Leading comments are not part of the command for the transaction-control check. */
function firstWords(statement: string): string {
  return statement.replace(/^(\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)+/, '');
}

interface Outcome {
  results: StatementResult[];
  /** Some statement changed the schema (the caller reloads the schema cache). */
  changedSchema: boolean;
}

type StatementOutput = Omit<StatementResult, 'statement' | 'execution_time_ms'>;

async function runOne(tx: ReservedSql, statement: string): Promise<StatementOutput> {
  let columns: string[] = [];
  let rows: Record<string, unknown>[] = [];
  let count: number | null = null;
  let command: string | null = null;
  // One batch of MAX_ROWS + 1 tells whether there was more; leaving the loop closes the cursor.
  for await (const batch of tx.unsafe(statement).cursor(MAX_ROWS + 1)) {
    const meta = batch as unknown as { columns?: { name: string }[] | null; count?: number | null; command?: string | null };
    columns = (meta.columns ?? []).map((c) => c.name);
    rows = batch as unknown as Record<string, unknown>[];
    count = meta.count ?? null;
    command = meta.command ?? null;
    break;
  }
  const truncated = rows.length > MAX_ROWS;
  if (truncated) rows = rows.slice(0, MAX_ROWS);
  const out: StatementOutput = { columns, rows: [...rows], row_count: rows.length };
  if (command !== null && WRITE_COMMANDS.has(command) && count !== null) out.affected_rows = count;
  if (truncated) out.truncated = true;
  return out;
}

export async function executeScript(tx: ReservedSql, statements: string[]): Promise<Outcome> {
  const started = performance.now();
  const results: StatementResult[] = [];
  let changedSchema = false;
  for (const statement of statements) {
    const t0 = performance.now();
    const remaining = Math.floor(TIME_BUDGET_MS - (t0 - started));
    const base = { statement, columns: [], rows: [], row_count: 0 };
    if (TX_CONTROL.test(firstWords(statement))) {
      results.push({ ...base, execution_time_ms: 0, error: 'Transaction control statements are not allowed: the script already runs in one transaction' });
      continue;
    }
    if (remaining <= 0) {
      results.push({ ...base, execution_time_ms: 0, error: `Not run: the script's ${TIME_BUDGET_MS / 1000} s time budget is spent` });
      continue;
    }
    await tx.unsafe("select set_config('statement_timeout', $1, true)", [`${remaining}ms`]);
    await tx.unsafe('savepoint fluxbase_sql_statement');
    try {
      const result = await runOne(tx, statement);
      await tx.unsafe('release savepoint fluxbase_sql_statement');
      if (SCHEMA_CHANGING.test(firstWords(statement))) changedSchema = true;
      results.push({ statement, ...result, execution_time_ms: Math.round((performance.now() - t0) * 100) / 100 });
    } catch (err) {
      if (!isPgError(err)) throw err;
      await tx.unsafe('rollback to savepoint fluxbase_sql_statement');
      results.push({ ...base, execution_time_ms: Math.round((performance.now() - t0) * 100) / 100, error: err.message });
    }
  }
  return { results, changedSchema };
}
