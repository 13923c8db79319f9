// POST, PATCH, DELETE and PUT /rest/v1/:table: PostgREST's writes, schema from
// Content-Profile; PUT is an upsert of one row named by eq filters on its primary key.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RestDeps } from '../deps.ts';
import { handleWrite, type WriteKind } from '../write.ts';
import { requireScope, tableRequest, urlParser } from './build.ts';
import { send } from './send.ts';

const KINDS: Record<string, WriteKind> = { POST: 'insert', PATCH: 'update', DELETE: 'delete', PUT: 'put' };

export function registerPostgrestWrite(app: FastifyInstance, deps: RestDeps): void {
  const parse = urlParser(deps, 'postgrest');
  const target = { mount: 'postgrest', route: 'postgrest', schema: { profile: 'content-profile' }, source: 'url' } as const;
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    requireScope(request, 'write:tables');
    const req = tableRequest(deps, request, target, parse);
    return send(reply, await handleWrite(deps, req, KINDS[request.method]!));
  };
  app.post('/rest/v1/:table', handler);
  app.patch('/rest/v1/:table', handler);
  app.delete('/rest/v1/:table', handler);
  app.put('/rest/v1/:table', handler);
}
