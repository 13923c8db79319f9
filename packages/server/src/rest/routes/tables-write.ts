// POST (insert, upsert), PATCH (update) and DELETE on /api/v1/tables/:table and
// /api/v1/tables/:schema/:table, filtered by the query string (docs/rest.md "Writes").
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RestDeps } from '../deps.ts';
import { handleWrite, type WriteKind } from '../write.ts';
import { paramsOf, requireScope, tableRequest, urlParser } from './build.ts';
import { send } from './send.ts';

const KINDS: Record<string, WriteKind> = { POST: 'insert', PATCH: 'update', DELETE: 'delete' };

export function registerTablesWrite(app: FastifyInstance, deps: RestDeps): void {
  const parse = urlParser(deps, 'fluxbase');
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    requireScope(request, 'write:tables');
    const req = tableRequest(deps, request, { mount: 'fluxbase', route: 'fluxbase', schema: paramsOf(request).schema ?? 'public', source: 'url' }, parse);
    return send(reply, await handleWrite(deps, req, KINDS[request.method]!));
  };
  for (const path of ['/api/v1/tables/:table', '/api/v1/tables/:schema/:table']) {
    app.post(path, handler);
    app.patch(path, handler);
    app.delete(path, handler);
  }
}
