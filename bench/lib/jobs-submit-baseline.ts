// J2 (`jobs-submit`, README "Jobs"): the bare submit server, the baseline of the throughput
// rounds, in its own process. A node:http server (lib/bare.ts bareApp: the same base response
// headers as Fluxbase) that parses the JSON body and writes the same row into jobs.queue with
// the statements of queue-store.ts submitJob (INSERT … RETURNING *, then pg_notify when the job
// is due now; keep them in sync), through a postgres.js pool of the same size, logged in as the
// same authenticator role with the same statement_timeout; it answers 201 with the row in the
// Job JSON's shape. What it leaves out is Fluxbase's machinery: principal resolution (the token
// is ignored), the rate limiter, the scope and admin checks, input validation (zod), the job
// function's lookup per request (done once here, on the first request), metrics.
import { rmSync } from 'node:fs';
import postgres from 'postgres';
import { JOBS_CHANNEL, type JobRow } from '../../packages/server/src/jobs/queue-store.ts';
import { bareApp } from './bare.ts';
import { benchConfig } from './config.ts';
import { authenticatorUrl } from './rest-fixture.ts';
import type { ServeOptions, SideServer } from './types.ts';

export const SUBMIT_PATH = '/api/v1/jobs/submit';
/** The job function both sides submit to (deployed through Fluxbase's admin API). */
export const NOOP_FUNCTION = { name: 'noop', code: 'export default () => null;' };
/** The body of every submit, both sides. */
export const SUBMIT_BODY = JSON.stringify({ job_name: NOOP_FUNCTION.name, payload: { n: 1 } });

interface FunctionRow {
  id: string;
  namespace: string;
  name: string;
  max_retries: number;
  timeout_seconds: number;
}

/** The row as the Job JSON shows it (view.ts jobView of a pending job: no ETA). */
export function jobJson(row: JobRow): string {
  const { cancel_requested_at: _c, kind: _k, ...rest } = row;
  return JSON.stringify({ ...rest, estimated_seconds_left: null, estimated_completion_at: null });
}

/** The statements of submitJob for a service-role caller (created_by null, user_role service_role), on `sql`. */
export async function insertJob(sql: postgres.Sql, fn: FunctionRow, payload: unknown): Promise<JobRow> {
  const [row] = await sql<JobRow[]>`
    insert into jobs.queue (namespace, job_name, kind, job_function_id, payload, priority, scheduled_at, max_retries, max_duration_seconds, created_by, user_role)
    values (${fn.namespace}, ${fn.name}, ${'job'}, ${fn.id}, ${sql.json((payload ?? null) as never)}, ${0},
            coalesce(${null}::timestamptz, now()), ${fn.max_retries}, ${fn.timeout_seconds}, ${null}, ${'service_role'})
    returning *`;
  if (row!.scheduled_at.getTime() <= Date.now()) await sql`select pg_catalog.pg_notify(${JOBS_CHANNEL}, '')`;
  return row!;
}

export async function findNoop(sql: postgres.Sql): Promise<FunctionRow> {
  const [fn] = await sql<FunctionRow[]>`
    select id, namespace, name, max_retries, timeout_seconds from jobs.job_functions where name = ${NOOP_FUNCTION.name} and namespace = 'default'`;
  if (!fn) throw new Error(`job function default/${NOOP_FUNCTION.name} is not deployed`);
  return fn;
}

/** A pool like Fluxbase's (db/pool.ts createPool): the authenticator's login, prepared statements, the same statement_timeout. */
export function authenticatorPool(options: ServeOptions, max: number): postgres.Sql {
  const config = benchConfig(options);
  rmSync(config.data_dir, { recursive: true, force: true });
  return postgres(authenticatorUrl(options), {
    max, idle_timeout: 0, prepare: true, onnotice: () => {},
    connection: { statement_timeout: config.database.statement_timeout, application_name: 'bench-jobs-submit' },
  });
}

export async function submitBaseline(options: ServeOptions): Promise<SideServer> {
  const sql = authenticatorPool(options, options.maxConnections);
  // Open the whole pool now, as Fluxbase's pool.warm() does.
  const conns = await Promise.all(Array.from({ length: options.maxConnections }, () => sql.reserve()));
  await Promise.all(conns.map((conn) => conn`select 1`));
  for (const conn of conns) conn.release();
  // The function is deployed through Fluxbase after this side started: looked up on the first request.
  let fn: Promise<FunctionRow> | undefined;
  const server = await bareApp(async (req) => {
    if (req.method !== 'POST' || req.url !== SUBMIT_PATH) return { status: 404, body: null };
    const input = JSON.parse(req.body) as { job_name?: unknown; payload?: unknown };
    const f = await (fn ??= findNoop(sql));
    if (input.job_name !== f.name) return { status: 404, body: JSON.stringify({ error: 'job function not found' }) };
    return { status: 201, body: jobJson(await insertJob(sql, f, input.payload ?? {})) };
  });
  return {
    url: server.url,
    async close() {
      await server.close();
      await sql.end({ timeout: 5 });
    },
  };
}
