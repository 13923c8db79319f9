// The per-request transaction context: the only way handlers touch the database as a
// user. One transaction per request; BEGIN, the role/claims GUCs and the handler's first
// statement are written to the socket together (postgres.js batches writes issued in the
// same tick), so the context costs no extra network round trip (PostgREST's PreQuery).
// When the handler is a single statement (it returns the query itself rather than an
// async function's promise), COMMIT joins that write: one round trip per request.
import type { Pool, ReservedSql } from './pool.ts';

export type DbRole = 'anon' | 'authenticated' | 'service_role';

export interface RequestContext {
  role: DbRole;
  /**
   * Verified claims; `role` is overwritten with the DB role (docs/getting-started.md "Row
   * Level Security").
   */
  claims: Record<string, unknown>;
  /** User id (`sub`) or '' for anonymous and service principals. */
  sub: string;
  method: string;
  path: string;
  requestId: string;
  /** `claims` already serialised with `role` = the DB role (cached per token by principal resolution). */
  claimsJson?: string | undefined;
}

export interface TxOptions {
  /** Roll back instead of committing (Prefer: tx=rollback). */
  rollback?: boolean;
  /** Label for `fluxbase_db_query_duration_seconds`. */
  operation?: string;
}

export type QueryObserver = (operation: string, seconds: number) => void;

/** The role/claims statement sent with every request transaction (exported for the benchmark baseline). */
export const CONTEXT_SQL = `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
  set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true),
  set_config('request.method', $4, true), set_config('request.path', $5, true), set_config('request.id', $6, true)`;

/** A postgres.js query not yet sent (lazy until executed), as opposed to an async function's promise. */
function isQuery<T>(value: Promise<T>): value is Promise<T> & { execute(): unknown } {
  return typeof (value as { execute?: unknown }).execute === 'function' && typeof (value as { describe?: unknown }).describe === 'function';
}

export function contextParams(ctx: RequestContext): string[] {
  return [ctx.role, ctx.claimsJson ?? JSON.stringify({ ...ctx.claims, role: ctx.role }), ctx.sub, ctx.method, ctx.path, ctx.requestId];
}

export async function withRequestTx<T>(
  pool: Pool,
  ctx: RequestContext,
  fn: (tx: ReservedSql) => Promise<T>,
  options: TxOptions = {},
  observe?: QueryObserver,
): Promise<T> {
  const started = performance.now();
  try {
    return await pool.withConnection(async (conn) => {
      // Sent now, not awaited: they travel in the same write as fn's first statement.
      const begin = conn.unsafe('begin').execute();
      const setup = conn.unsafe(CONTEXT_SQL, contextParams(ctx), { prepare: true }).execute();
      const end = options.rollback ? 'rollback' : 'commit';
      let out: Promise<T>;
      try {
        out = fn(conn);
      } catch (err) {
        await Promise.allSettled([begin, setup]);
        await conn.unsafe('rollback').catch(() => {});
        throw err;
      }
      if (isQuery(out)) {
        // One statement: COMMIT goes in the same write too, so the whole request costs one
        // round trip. If the statement fails, PostgreSQL turns that COMMIT into a rollback.
        out.execute();
        const finish = conn.unsafe(end).execute();
        const settled = await Promise.allSettled([begin, setup, out, finish]);
        for (const r of settled) if (r.status === 'rejected') throw r.reason;
        return (settled[2] as PromiseFulfilledResult<T>).value;
      }
      let result: T;
      try {
        out.catch(() => {}); // rejection is handled below, after BEGIN's answer
        await Promise.all([begin, setup]);
        result = await out;
      } catch (err) {
        await Promise.allSettled([begin, setup]);
        await conn.unsafe('rollback').catch(() => {});
        throw err;
      }
      await conn.unsafe(end);
      return result;
    }, options.operation ?? 'request', ctx.requestId);
  } finally {
    (observe ?? pool.observer)?.(options.operation ?? 'request', (performance.now() - started) / 1000);
  }
}
