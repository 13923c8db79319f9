// Running a compiled statement as the caller: one request transaction (db/context) with
// the principal's role and claims. A lone statement costs one round trip; planned counts,
// If-Match checks and max-affected checks add statements to the same transaction.
import { withRequestTx, type Database, type RequestContext, type ReservedSql } from '../db/index.ts';
import type { ReadResultRow, Statement } from '../query/index.ts';

export interface ResultRow extends ReadResultRow {
  loc?: string | null;
}

export interface RunOptions {
  rollback?: boolean;
  operation: string;
  /** Runs before the main statement in the same transaction (If-Match). */
  before?: ((tx: ReservedSql) => Promise<void>) | undefined;
  /** Runs after it, may replace the row or throw to roll back (planned count, max-affected). */
  after?: ((tx: ReservedSql, row: ResultRow) => Promise<ResultRow>) | undefined;
}

export async function run(db: Database, ctx: RequestContext, stmt: Statement, options: RunOptions): Promise<ResultRow> {
  const txOptions = { rollback: options.rollback === true, operation: options.operation };
  const { before, after } = options;
  if (!before && !after) {
    const rows = await withRequestTx(db.pool, ctx, (tx) => tx.unsafe(stmt.text, stmt.values as never[], { prepare: true }), txOptions);
    return rows[0] as unknown as ResultRow;
  }
  return withRequestTx(db.pool, ctx, async (tx) => {
    if (before) await before(tx);
    const rows = await tx.unsafe(stmt.text, stmt.values as never[], { prepare: true });
    const row = rows[0] as unknown as ResultRow;
    return after ? after(tx, row) : row;
  }, txOptions);
}

/** Planner row estimate of a count statement (`explain (format json)`). */
export async function plannedCount(tx: ReservedSql, explain: Statement): Promise<number> {
  const rows = await tx.unsafe(explain.text, explain.values as never[]);
  const plan = (rows[0] as Record<string, unknown> | undefined)?.['QUERY PLAN'] as { Plan?: { 'Plan Rows'?: number } }[] | undefined;
  return Math.max(0, Math.round(plan?.[0]?.Plan?.['Plan Rows'] ?? 0));
}
