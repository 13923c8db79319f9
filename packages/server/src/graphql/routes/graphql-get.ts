// GET /api/v1/graphql (API.md §13): `?query=…&variables=<JSON>&operationName=…` runs a query
// (a mutation answers 405: GET must not change anything); without `query` it runs the
// standard introspection query (403 when graphql.introspection is false). The same route
// takes the WebSocket upgrade of subscriptions (graphql-transport-ws) when `wsHandler` is given.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { getIntrospectionQuery } from 'graphql';
import type { WebSocket } from 'ws';
import type { Config } from '../../config/index.ts';
import { runOperation, type ExecuteDeps } from '../execute.ts';
import { callerOf, GRAPHQL_PATH, sendOutput } from './shared.ts';

const INTROSPECTION = getIntrospectionQuery({ descriptions: true });

function one(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

export function registerGraphqlGet(app: FastifyInstance, deps: ExecuteDeps & { config: Config }, wsHandler?: (socket: WebSocket, request: FastifyRequest) => void): void {
  app.route({
    method: 'GET',
    url: GRAPHQL_PATH,
    handler: async (request, reply) => {
      const q = request.query as Record<string, unknown>;
      const query = one(q.query);
      if (query === undefined || query === '') {
        if (!deps.config.graphql.introspection) {
          return sendOutput(request, reply, { status: 403, body: { errors: [{ message: 'Introspection is disabled on this server (graphql.introspection)', extensions: { code: 'INTROSPECTION_DISABLED' } }] } });
        }
      }
      let variables: unknown;
      const rawVariables = one(q.variables);
      if (typeof rawVariables === 'string' && rawVariables !== '') {
        try {
          variables = JSON.parse(rawVariables);
        } catch {
          return sendOutput(request, reply, { status: 400, body: { errors: [{ message: '"variables" must be a JSON object (URL-encoded)', extensions: { code: 'BAD_REQUEST' } }] } });
        }
      }
      const out = await runOperation(deps, {
        query: query === undefined || query === '' ? INTROSPECTION : query, variables, operationName: one(q.operationName),
        method: 'GET', context: callerOf(request), anonymous: request.principal.role === 'anon',
      });
      return sendOutput(request, reply, out);
    },
    ...(wsHandler ? { wsHandler } : {}),
  });
}
