// POST /api/v1/graphql {query, variables?, operationName?} (API.md §13): any operation but a
// subscription; 200 {data, errors?} once executed, 400 {errors} when refused before.
import type { FastifyInstance } from 'fastify';
import { runOperation, type ExecuteDeps } from '../execute.ts';
import { callerOf, GRAPHQL_PATH, sendOutput } from './shared.ts';

export function registerGraphqlPost(app: FastifyInstance, deps: ExecuteDeps): void {
  app.post(GRAPHQL_PATH, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const input = typeof body === 'object' && !Array.isArray(body) ? body : {};
    const out = await runOperation(deps, {
      query: input.query, variables: input.variables, operationName: input.operationName,
      method: 'POST', context: callerOf(request), anonymous: request.principal.role === 'anon',
    });
    return sendOutput(request, reply, out);
  });
}
