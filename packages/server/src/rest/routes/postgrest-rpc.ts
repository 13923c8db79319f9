// GET (stable and immutable functions, arguments in the query string) and POST (JSON
// arguments) /rest/v1/rpc/:fn: PostgREST's function calls; the schema from Accept-Profile
// for GET, Content-Profile for POST.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RestDeps } from '../deps.ts';
import { handlePostgrestRpc } from '../rpc.ts';
import { profileSchema } from '../target.ts';
import { requireScope, rpcRequest } from './build.ts';
import { send } from './send.ts';

export function registerPostgrestRpc(app: FastifyInstance, deps: RestDeps): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const get = request.method === 'GET' || request.method === 'HEAD';
    requireScope(request, get ? 'read:rpc' : 'execute:rpc');
    const snapshot = deps.schema.current();
    const schema = profileSchema(snapshot, request.headers[get ? 'accept-profile' : 'content-profile']);
    return send(reply, await handlePostgrestRpc(deps, rpcRequest(deps, request, 'postgrest', snapshot, schema)));
  };
  app.get('/rest/v1/rpc/:fn', handler);
  app.post('/rest/v1/rpc/:fn', handler);
}
