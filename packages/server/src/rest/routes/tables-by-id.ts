// GET, PUT, PATCH and DELETE /api/v1/tables/:schema/:table/:id: one row by its
// single-column primary key (docs/rest.md "The two mounts"). The key filter joins the query
// at parse time (routes/build.ts); a missing row is 404 NOT_FOUND; PUT and PATCH both
// update.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RestDeps } from '../deps.ts';
import { handleRead } from '../read.ts';
import { handleWrite } from '../write.ts';
import { paramsOf, requireScope, tableRequest, urlParser } from './build.ts';
import { send } from './send.ts';

const PATH = '/api/v1/tables/:schema/:table/:id';

export function registerTablesById(app: FastifyInstance, deps: RestDeps): void {
  const parse = urlParser(deps, 'fluxbase');
  const target = (request: FastifyRequest) => {
    const p = paramsOf(request);
    const read = request.method === 'GET' || request.method === 'HEAD';
    return { mount: 'fluxbase' as const, route: 'fluxbase-id', schema: p.schema!, source: 'url' as const, id: p.id!, range: read };
  };
  app.get(PATH, async (request, reply) => {
    requireScope(request, 'read:tables');
    return send(reply, await handleRead(deps, tableRequest(deps, request, target(request), parse)));
  });
  const write = async (request: FastifyRequest, reply: FastifyReply) => {
    requireScope(request, 'write:tables');
    const req = tableRequest(deps, request, target(request), parse);
    return send(reply, await handleWrite(deps, req, request.method === 'DELETE' ? 'delete' : 'update'));
  };
  app.put(PATH, write);
  app.patch(PATH, write);
  app.delete(PATH, write);
}
