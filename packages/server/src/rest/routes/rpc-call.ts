// POST /api/v1/rpc/:namespace/:fn with {params?, async?}: the Fluxbase SDK's call form
// (docs/rest.md "Functions (RPC)"); `default` is the first exposed schema.
import type { FastifyInstance } from 'fastify';
import type { RestDeps } from '../deps.ts';
import { handleFluxbaseRpc } from '../rpc.ts';
import { checkSchema, exposedSchemas } from '../target.ts';
import { paramsOf, requireScope, rpcRequest } from './build.ts';
import { send } from './send.ts';

export function registerRpcCall(app: FastifyInstance, deps: RestDeps): void {
  app.post('/api/v1/rpc/:namespace/:fn', async (request, reply) => {
    requireScope(request, 'execute:rpc');
    const namespace = paramsOf(request).namespace!;
    const snapshot = deps.schema.current();
    const schema = namespace === 'default' ? exposedSchemas(snapshot)[0] ?? 'public' : checkSchema(snapshot, namespace);
    return send(reply, await handleFluxbaseRpc(deps, rpcRequest(deps, request, 'fluxbase', snapshot, schema)));
  });
}
