// POST /api/v1/tables/:table/query and /api/v1/tables/:schema/:table/query: a read whose
// query is a JSON body (the structured form, query/parse/structured.ts) instead of a URL.
import type { FastifyInstance } from 'fastify';
import { parseStructuredQuery } from '../../query/index.ts';
import type { RestDeps } from '../deps.ts';
import { handleRead } from '../read.ts';
import { paramsOf, requireScope, tableRequest } from './build.ts';
import { send } from './send.ts';

export function registerTablesQuery(app: FastifyInstance, deps: RestDeps): void {
  const options = { mount: 'fluxbase' as const, aggregatesEnabled: deps.config.api.aggregates_enabled };
  const parse = (body: unknown) => parseStructuredQuery(body, options);
  for (const path of ['/api/v1/tables/:table/query', '/api/v1/tables/:schema/:table/query']) {
    app.post(path, async (request, reply) => {
      requireScope(request, 'read:tables');
      const req = tableRequest(deps, request, { mount: 'fluxbase', route: 'fluxbase', schema: paramsOf(request).schema ?? 'public', source: 'body', range: true }, parse);
      return send(reply, await handleRead(deps, req));
    });
  }
}
