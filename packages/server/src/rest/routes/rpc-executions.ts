// GET /api/v1/rpc/executions/:id[/logs?after_line=N]: asynchronous RPC's execution records
// (API.md §6), kept by the job queue (jobs/async-rpc.ts). The owner, an admin or the service
// role may read one; others get 404 as for a missing one.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { errors, field, parseInput } from '../../http/index.ts';
import type { RestDeps } from '../deps.ts';
import { requireScope } from './build.ts';

const Params = z.object({ id: field.requiredParam(64) });
const Query = z.object({ after_line: field.intParam(0, 1_000_000_000, 0), after: field.intParam(0, 1_000_000_000, 0) });

async function who(request: FastifyRequest): Promise<{ userId: string | null; isAdmin: boolean }> {
  const p = request.principal;
  const isAdmin = p.role === 'service_role' || (p.kind === 'user' && p.userId !== null && (await request.server.isAdminUser(p.userId)));
  return { userId: p.userId, isAdmin };
}

export function registerRpcExecutions(app: FastifyInstance, deps: RestDeps): void {
  const port = () => {
    if (!deps.asyncRpc) throw errors.notFound('execution', 'No such execution (asynchronous RPC needs the job queue, which is disabled on this server)');
    return deps.asyncRpc;
  };
  app.get('/api/v1/rpc/executions/:id', async (request) => {
    requireScope(request, 'read:rpc');
    const { id } = parseInput(Params, request.params, 'params');
    return port().get(id, await who(request));
  });
  app.get('/api/v1/rpc/executions/:id/logs', async (request) => {
    requireScope(request, 'read:rpc');
    const { id } = parseInput(Params, request.params, 'params');
    const q = parseInput(Query, request.query, 'query');
    return port().logs(id, await who(request), q.after_line || q.after);
  });
}
