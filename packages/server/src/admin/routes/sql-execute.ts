// POST /api/v1/admin/sql/execute {query} → {results: [{statement, columns, rows, row_count,
// affected_rows?, truncated?, execution_time_ms, error?}]}. Runs as service_role in one
// request transaction (db/'s withRequestTx), 1000 rows per statement, 30 s for the script.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { withRequestTx } from '../../db/index.ts';
import { AppError, principalClaims } from '../../http/index.ts';
import { parseAdminBody } from '../admin-body.ts';
import type { AdminDeps } from '../deps.ts';
import { adminOnly } from '../require-admin.ts';
import { executeScript } from '../sql/execute.ts';
import { splitStatements } from '../sql/split.ts';

const MAX_STATEMENTS = 100;

/** The script, bounded by the admin body limit (server.body_limits.admin_limit), not by a field limit. */
const Body = z.strictObject({ query: z.string() });

function statementsOf(body: unknown): string[] {
  const { query } = parseAdminBody(Body, body);
  const statements = splitStatements(query);
  if (statements.length === 0) throw new AppError('VALIDATION_FAILED', { message: 'query holds no statement', details: { fields: { query: 'no statement' } } });
  if (statements.length > MAX_STATEMENTS) {
    throw new AppError('VALIDATION_FAILED', { message: `At most ${MAX_STATEMENTS} statements per request`, details: { fields: { query: 'too many statements' } } });
  }
  return statements;
}

export function registerSqlExecute(app: FastifyInstance, deps: AdminDeps): void {
  app.post('/api/v1/admin/sql/execute', { preHandler: adminOnly }, async (request) => {
    const statements = statementsOf(request.body);
    const { claims, sub } = principalClaims(request.principal);
    const ctx = { role: 'service_role' as const, claims, sub, method: request.method, path: request.url, requestId: request.id };
    const outcome = await withRequestTx(deps.db.pool, ctx, (tx) => executeScript(tx, statements), { operation: 'admin_sql' });
    // Without a DDL event trigger (a non-superuser owner) the cache would not notice otherwise.
    if (outcome.changedSchema) await deps.schema.reload();
    return { results: outcome.results };
  });
}
