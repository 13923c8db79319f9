// GET (and HEAD) /api/v1/tables/:table and /api/v1/tables/:schema/:table: rows of a table
// or view, filtered, ordered and paged by the query string (docs/rest.md "Reading").
import type { FastifyInstance } from 'fastify';
import type { RestDeps } from '../deps.ts';
import { handleRead } from '../read.ts';
import { paramsOf, requireScope, tableRequest, urlParser } from './build.ts';
import { send } from './send.ts';

export function registerTablesRead(app: FastifyInstance, deps: RestDeps): void {
  const parse = urlParser(deps, 'fluxbase');
  for (const path of ['/api/v1/tables/:table', '/api/v1/tables/:schema/:table']) {
    app.get(path, async (request, reply) => {
      requireScope(request, 'read:tables');
      const req = tableRequest(deps, request, { mount: 'fluxbase', route: 'fluxbase', schema: paramsOf(request).schema ?? 'public', source: 'url', range: true }, parse);
      return send(reply, await handleRead(deps, req));
    });
  }
}
