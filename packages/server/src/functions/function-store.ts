// Deployed functions (migrations/012_functions.up.sql): every statement on
// functions.edge_functions and functions.edge_function_versions. A deploy or an update
// writes the function row and its version row in one transaction; the version number only
// grows, so a running invocation's `<id>@<version>` names exactly one code and setting set.
import type postgres from 'postgres';
import { inTransaction } from '../db/index.ts';
import type { Settings } from './deploy.ts';

export type Queryable = postgres.Sql | postgres.TransactionSql | postgres.ReservedSql;

export interface FunctionRecord extends Required<Pick<Settings,
  'enabled' | 'is_bundled' | 'timeout_seconds' | 'memory_limit_mb' | 'allow_net' | 'allow_read' | 'allow_write' | 'allow_unauthenticated'>> {
  id: string;
  namespace: string;
  name: string;
  description: string | null;
  code: string;
  version: number;
  allow_net_hosts: string[] | null;
  allow_env: boolean | string[];
  cors_origins: string[] | null;
  cors_methods: string[] | null;
  cors_headers: string[] | null;
  cors_credentials: boolean | null;
  cors_max_age: number | null;
  rate_limit_per_minute: number | null;
  rate_limit_per_hour: number | null;
  rate_limit_per_day: number | null;
  cron_schedule: string | null;
  source: 'api' | 'filesystem';
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

/** Columns a deploy sets (everything but identity, version and timestamps). */
export type FunctionFields = Omit<FunctionRecord, 'id' | 'version' | 'created_at' | 'updated_at' | 'created_by'>;

const COLUMNS = [
  'namespace', 'name', 'description', 'code', 'is_bundled', 'enabled', 'timeout_seconds', 'memory_limit_mb', 'allow_net', 'allow_net_hosts',
  'allow_env', 'allow_read', 'allow_write', 'allow_unauthenticated', 'cors_origins', 'cors_methods', 'cors_headers', 'cors_credentials',
  'cors_max_age', 'rate_limit_per_minute', 'rate_limit_per_hour', 'rate_limit_per_day', 'cron_schedule', 'source',
] as const satisfies readonly (keyof FunctionFields)[];

function values(sql: Queryable, f: FunctionFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of COLUMNS) out[c] = c === 'allow_env' ? sql.json(f.allow_env as postgres.JSONValue) : f[c];
  return out;
}

/** The settings a version ran with (stored beside its code). */
function settingsOf(f: FunctionFields): Record<string, unknown> {
  const { code: _code, namespace: _ns, name: _name, ...rest } = f;
  return rest;
}

export async function findFunction(sql: Queryable, namespace: string, name: string): Promise<FunctionRecord | undefined> {
  const [row] = await sql<FunctionRecord[]>`select * from functions.edge_functions where namespace = ${namespace} and name = ${name}`;
  return row;
}

export async function listFunctions(sql: Queryable, namespace: string | undefined): Promise<FunctionRecord[]> {
  return namespace === undefined
    ? sql<FunctionRecord[]>`select * from functions.edge_functions order by namespace, name`
    : sql<FunctionRecord[]>`select * from functions.edge_functions where namespace = ${namespace} order by name`;
}

/** Insert a new function at version 1; undefined when (namespace, name) is taken. */
export async function insertFunction(sql: postgres.ReservedSql, f: FunctionFields, createdBy: string | null): Promise<FunctionRecord | undefined> {
  return inTransaction(sql, async (tx) => {
    const [row] = await tx<FunctionRecord[]>`
      insert into functions.edge_functions ${tx({ ...values(tx, f), created_by: createdBy })}
      on conflict (namespace, name) do nothing
      returning *`;
    if (!row) return undefined;
    await tx`insert into functions.edge_function_versions (function_id, version, code, settings, created_by)
      values (${row.id}, 1, ${f.code}, ${tx.json(settingsOf(f) as postgres.JSONValue)}, ${createdBy})`;
    return row;
  });
}

/** Replace a function's fields with a new version; undefined when it is gone. */
export async function updateFunction(sql: postgres.ReservedSql, id: string, f: FunctionFields, createdBy: string | null): Promise<FunctionRecord | undefined> {
  return inTransaction(sql, async (tx) => {
    const [row] = await tx<FunctionRecord[]>`
      update functions.edge_functions set ${tx(values(tx, f))}, version = version + 1, updated_at = now()
      where id = ${id} returning *`;
    if (!row) return undefined;
    await tx`insert into functions.edge_function_versions (function_id, version, code, settings, created_by)
      values (${row.id}, ${row.version}, ${f.code}, ${tx.json(settingsOf(f) as postgres.JSONValue)}, ${createdBy})`;
    return row;
  });
}

export async function deleteFunction(sql: Queryable, namespace: string, name: string): Promise<{ id: string } | undefined> {
  const [row] = await sql<{ id: string }[]>`delete from functions.edge_functions where namespace = ${namespace} and name = ${name} returning id`;
  return row;
}

export interface VersionRecord {
  version: number;
  code: string;
  settings: Record<string, unknown>;
  created_by: string | null;
  created_at: Date;
}

export type VersionSummary = Omit<VersionRecord, 'code' | 'settings'> & { code_bytes: number };

export async function listVersions(sql: Queryable, functionId: string): Promise<VersionSummary[]> {
  return sql<VersionSummary[]>`
    select version, octet_length(code) as code_bytes, created_by, created_at
    from functions.edge_function_versions where function_id = ${functionId} order by version desc`;
}

export async function findVersion(sql: Queryable, functionId: string, version: number): Promise<VersionRecord | undefined> {
  const [row] = await sql<VersionRecord[]>`
    select version, code, settings, created_by, created_at from functions.edge_function_versions
    where function_id = ${functionId} and version = ${version}`;
  return row;
}

/** Enabled functions with a cron_schedule (the jobs scheduler runs them). */
export async function scheduledFunctions(sql: Queryable): Promise<{ namespace: string; name: string; cron_schedule: string }[]> {
  return sql`select namespace, name, cron_schedule from functions.edge_functions where enabled and cron_schedule is not null`;
}
