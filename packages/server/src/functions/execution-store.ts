// The execution log (API.md §11.1 `/executions`; docs/functions.md "Logs"): one row per
// invocation with its outcome and captured console output (bounded by the caller), and
// the deletion of rows past the retention.
import type { Queryable } from './function-store.ts';

export interface ExecutionRow {
  id: string;
  function_id: string;
  version: number;
  trigger_type: 'http' | 'cron';
  status: 'success' | 'error' | 'timeout';
  status_code: number | null;
  error_message: string | null;
  logs: string | null;
  duration_ms: number;
  started_at: Date;
  completed_at: Date;
}

/** One INSERT for a batch of rows (the service queues them: service.ts `record`). */
export async function insertExecution(sql: Queryable, rows: ExecutionRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`insert into functions.edge_executions ${sql(rows as unknown as Record<string, unknown>[])} on conflict (id) do nothing`;
}

export async function listExecutions(sql: Queryable, functionId: string, limit: number): Promise<ExecutionRow[]> {
  return sql<ExecutionRow[]>`
    select * from functions.edge_executions where function_id = ${functionId}
    order by started_at desc, id limit ${limit}`;
}

/** Rows older than `days`, in batches so a large backlog never holds a long lock. */
export async function deleteOldExecutions(sql: Queryable, days: number, batch = 10_000): Promise<number> {
  const rows = await sql`
    delete from functions.edge_executions where id in (
      select id from functions.edge_executions where started_at < now() - make_interval(days => ${days}) limit ${batch})`;
  return rows.count;
}
