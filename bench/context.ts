// context: the per-request transaction context. Fluxbase: a route registered through
// `plugins` on the real pipeline (JWT verification, rate limiter, hooks) running
// `select 1` through withRequestTx (BEGIN + role/claims GUCs pipelined + statement +
// COMMIT). Baseline: a bare node:http server running the same `select 1` through a
// postgres.js pool of the same size, no transaction. Same database, same pool size, same
// request (with the Bearer token). Goal: Fluxbase ≥ 85% of the baseline's req/s.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../packages/server/src/app.ts';
import { withRequestTx } from '../packages/server/src/db/index.ts';
import { principalClaims, signJwt } from '../packages/server/src/http/index.ts';
import { bareServer } from './lib/bare.ts';
import { withSides } from './lib/child.ts';
import { fluxbaseServer } from './lib/fluxbase.ts';
import { compareSides } from './lib/load.ts';
import type { Benchmark, ServeMap } from './lib/types.ts';

const GOAL = 0.85;
const ROUTE = '/bench/context';

function contextRoute(app: FastifyInstance, deps: AppDeps): void {
  app.get(ROUTE, async (request, reply) => {
    const rows = await withRequestTx(
      deps.db.pool,
      { ...principalClaims(request.principal), method: request.method, path: ROUTE, requestId: request.id },
      (tx) => tx<{ value: number }[]>`select 1 as value`,
    );
    return reply.send({ value: rows[0]?.value });
  });
}

export const serve: ServeMap = {
  fluxbase: (options) => fluxbaseServer(options, [contextRoute]),
  async baseline(options) {
    const sql = postgres(options.databaseUrl, { max: options.maxConnections, onnotice: () => {} });
    const server = await bareServer(ROUTE, async () => {
      const rows = await sql<{ value: number }[]>`select 1 as value`;
      return { value: rows[0]?.value };
    });
    return {
      url: server.url,
      async close() {
        await server.close();
        await sql.end({ timeout: 5 });
      },
    };
  },
};

function userToken(secret: string): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({ iss: 'fluxbase', aud: 'authenticated', sub: randomUUID(), role: 'authenticated', iat: now, exp: now + 3600 }, secret);
}

export const benchmark: Benchmark = {
  name: 'context',
  description: 'select 1 in the per-request transaction context vs the bare pool',
  needsDatabase: true,
  async run(ctx) {
    const headers = { authorization: `Bearer ${userToken(ctx.serve!.jwtSecret)}` };
    return withSides('context', ctx.serve!, async ({ baseline, fluxbase }) => {
      const result = await compareSides('context', {
        baseline: { url: `${baseline.url}${ROUTE}`, headers, pid: baseline.pid },
        fluxbase: { url: `${fluxbase.url}${ROUTE}`, headers, pid: fluxbase.pid },
      }, ctx.options, ctx.log);
      return [{
        kind: 'compare', bench: 'context', what: `GET ${ROUTE}`,
        baseline: result.baseline, fluxbase: result.fluxbase,
        ratio: result.fluxbase.rps / result.baseline.rps, goal: GOAL,
      }];
    });
  },
};
