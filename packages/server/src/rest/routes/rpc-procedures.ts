// GET /api/v1/rpc/procedures[?namespace=]: the functions the caller may execute, to
// signed-in users and service keys only unless api.list_procedures_to_anon
// (docs/rest.md "Functions (RPC)").
import type { FastifyInstance } from 'fastify';
import { AppError, errors } from '../../http/index.ts';
import type { RestDeps } from '../deps.ts';
import { listProcedures } from '../procedures.ts';
import { contextOf, requireScope } from './build.ts';

export function registerRpcProcedures(app: FastifyInstance, deps: RestDeps): void {
  app.get('/api/v1/rpc/procedures', async (request) => {
    requireScope(request, 'read:rpc');
    const kind = request.principal.kind;
    if ((kind === 'anonymous' || kind === 'anon_key') && !deps.config.api.list_procedures_to_anon) {
      throw errors.missingAuthentication('Listing procedures needs a signed-in user or a service key (api.list_procedures_to_anon is off)');
    }
    const namespace = (request.query as { namespace?: unknown }).namespace;
    if (namespace !== undefined && typeof namespace !== 'string') throw new AppError('INVALID_FORMAT', { message: 'namespace must be given once' });
    return listProcedures(deps, deps.schema.current(), contextOf(request), namespace);
  });
}
