// Job functions' SQL (jobs.job_functions, migration 014; API.md §11.2 admin routes): the code
// a job of that name runs, with its limits, grants, retry budget and cron schedule.
import type { Queryable } from './queue-store.ts';

export interface JobFunctionRow {
  id: string;
  namespace: string;
  name: string;
  description: string | null;
  code: string;
  version: number;
  enabled: boolean;
  schedule: string | null;
  max_retries: number;
  timeout_seconds: number;
  progress_timeout_seconds: number | null;
  memory_limit_mb: number;
  allow_net: boolean;
  allow_env: string[];
  allow_read: boolean;
  allow_write: boolean;
  require_roles: string[] | null;
  source: 'api' | 'filesystem';
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The settable fields of a job function (deploy, update, sync). */
export type JobFunctionFields = Pick<JobFunctionRow,
  'description' | 'code' | 'enabled' | 'schedule' | 'max_retries' | 'timeout_seconds' | 'progress_timeout_seconds' | 'memory_limit_mb'
  | 'allow_net' | 'allow_env' | 'allow_read' | 'allow_write' | 'require_roles' | 'source'>;

export const JOB_FUNCTION_FIELDS = [
  'description', 'code', 'enabled', 'schedule', 'max_retries', 'timeout_seconds', 'progress_timeout_seconds', 'memory_limit_mb',
  'allow_net', 'allow_env', 'allow_read', 'allow_write', 'require_roles', 'source',
] as const satisfies readonly (keyof JobFunctionFields)[];

export async function listJobFunctions(sql: Queryable, namespace?: string): Promise<JobFunctionRow[]> {
  return namespace === undefined
    ? sql<JobFunctionRow[]>`select * from jobs.job_functions order by namespace, name`
    : sql<JobFunctionRow[]>`select * from jobs.job_functions where namespace = ${namespace} order by name`;
}

/** By name: in `namespace`, or (absent) in "default" first, then the first namespace by name. */
export async function findJobFunction(sql: Queryable, name: string, namespace?: string): Promise<JobFunctionRow | undefined> {
  const [row] = namespace === undefined
    ? await sql<JobFunctionRow[]>`select * from jobs.job_functions where name = ${name} order by namespace <> 'default', namespace limit 1`
    : await sql<JobFunctionRow[]>`select * from jobs.job_functions where name = ${name} and namespace = ${namespace}`;
  return row;
}

export async function findJobFunctionById(sql: Queryable, id: string): Promise<JobFunctionRow | undefined> {
  const [row] = await sql<JobFunctionRow[]>`select * from jobs.job_functions where id = ${id}`;
  return row;
}

/** Creates the function, or replaces its fields (version + 1 when the code changed). */
export async function upsertJobFunction(sql: Queryable, namespace: string, name: string, f: JobFunctionFields, createdBy: string | null): Promise<{ row: JobFunctionRow; created: boolean }> {
  const [row] = await sql<(JobFunctionRow & { created: boolean })[]>`
    insert into jobs.job_functions ${sql({ namespace, name, created_by: createdBy, ...f } as never)}
    on conflict (namespace, name) do update set
      description = excluded.description, code = excluded.code, enabled = excluded.enabled, schedule = excluded.schedule,
      max_retries = excluded.max_retries, timeout_seconds = excluded.timeout_seconds, progress_timeout_seconds = excluded.progress_timeout_seconds,
      memory_limit_mb = excluded.memory_limit_mb, allow_net = excluded.allow_net, allow_env = excluded.allow_env,
      allow_read = excluded.allow_read, allow_write = excluded.allow_write, require_roles = excluded.require_roles, source = excluded.source,
      version = jobs.job_functions.version + case when jobs.job_functions.code is distinct from excluded.code then 1 else 0 end,
      updated_at = now()
    returning *, (xmax = 0) as created`;
  const { created, ...rest } = row!;
  return { row: rest, created };
}

export async function deleteJobFunction(sql: Queryable, namespace: string, name: string): Promise<boolean> {
  const rows = await sql`delete from jobs.job_functions where namespace = ${namespace} and name = ${name}`;
  return rows.count > 0;
}

/** Enabled functions with a cron schedule (the scheduler's entries). */
export async function scheduledJobFunctions(sql: Queryable): Promise<Pick<JobFunctionRow, 'id' | 'namespace' | 'name' | 'schedule'>[]> {
  return sql`select id, namespace, name, schedule from jobs.job_functions where enabled and schedule is not null`;
}
