// The per-request transaction context: the only way handlers touch the database as a
// user. One transaction per request; BEGIN, the role/claims GUCs and the handler's first
// statement are written to the socket together (postgres.js batches writes issued in the
// same tick), so the context costs no extra network round trip (PostgREST's PreQuery).
import type { Pool, ReservedSql } from './pool.ts';

export type DbRole = 'anon' | 'authenticated' | 'service_role';

export interface RequestContext {
  role: DbRole;
  /** Verified claims; `role` is overwritten with the DB role as API.md §2.2 requires. */
  claims: Record<string, unknown>;
  /** User id (`sub`) or '' for anonymous and service principals. */
  sub: string;
  method: string;
  path: string;
  requestId: string;
}

export interface TxOptions {
  /** Roll back instead of committing (Prefer: tx=rollback). */
  rollback?: boolean;
  /** Label for `fluxbase_db_query_duration_seconds`. */
  operation?: string;
}

export type QueryObserver = (operation: string, seconds: number) => void;

const CONTEXT_SQL = `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
  set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true),
  set_config('request.method', $4, true), set_config('request.path', $5, true), set_config('request.id', $6, true)`;

export function contextParams(ctx: RequestContext): string[] {
  return [ctx.role, JSON.stringify({ ...ctx.claims, role: ctx.role }), ctx.sub, ctx.method, ctx.path, ctx.requestId];
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
      let result: T;
      try {
        const fnResult = fn(conn);
        fnResult.catch(() => {}); // rejection is handled below, after BEGIN's answer
        await Promise.all([begin, setup]);
        result = await fnResult;
      } catch (err) {
        await Promise.allSettled([begin, setup]);
        await conn.unsafe('rollback').catch(() => {});
        throw err;
      }
      await conn.unsafe(options.rollback ? 'rollback' : 'commit');
      return result;
    });
  } finally {
    (observe ?? pool.observer)?.(options.operation ?? 'request', (performance.now() - started) / 1000);
  }
}
