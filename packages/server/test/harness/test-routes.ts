// Routes registered on the real app by tests, to exercise the shared pipeline (body
// limits, JSON parsing, principal, request context, error mapping) before the subsystems
// that will own real routes exist. Each goes through exactly the same hooks as theirs.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../src/app.ts';
import { withRequestTx } from '../../src/db/index.ts';
import { principalClaims } from '../../src/http/index.ts';

export interface TestRouteCounters {
  echo: number;
}

export function testRoutes(counters: TestRouteCounters = { echo: 0 }) {
  return (app: FastifyInstance, deps: AppDeps): void => {
    const echo = async (request: { body: unknown }) => {
      counters.echo++;
      return { body: request.body ?? null };
    };
    app.post('/api/v1/__test/echo', echo);
    app.post('/api/v1/auth/__test/echo', echo);
    app.post('/rest/v1/__test/echo', echo);

    const ctxOf = (request: FastifyRequest) => ({
      ...principalClaims(request.principal), method: request.method, path: request.url, requestId: request.id,
    });

    app.get('/api/v1/__test/whoami', async (request) => {
      const [row] = await withRequestTx(deps.db.pool, ctxOf(request), (tx) => tx`
        select current_user as db_role, session_user as login_role, auth.uid() as uid, auth.role() as role, auth.jwt() as jwt,
               current_setting('request.id', true) as request_id, current_setting('request.method', true) as method,
               current_setting('request.path', true) as path, auth.is_authenticated() as is_authenticated, auth.is_admin() as is_admin`);
      return { principal: { kind: request.principal.kind, role: request.principal.role, userId: request.principal.userId }, db: row };
    });

    const runSql = async (request: FastifyRequest) => {
      const { sql, rollback } = request.body as { sql: string; rollback?: boolean };
      return withRequestTx(deps.db.pool, ctxOf(request), async (tx) => [...(await tx.unsafe(sql))], { rollback: rollback === true });
    };
    app.post('/api/v1/__test/sql', runSql);
    app.post('/rest/v1/__test/sql', runSql);

    app.get('/api/v1/__test/sleep', async (request) => {
      const ms = Number((request.query as { ms?: string }).ms ?? 100);
      await new Promise((r) => setTimeout(r, ms));
      return { slept: ms };
    });
  };
}
