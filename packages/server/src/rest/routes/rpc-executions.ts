// GET /api/v1/rpc/executions/:id[/logs]: asynchronous RPC's execution records. The job
// queue that runs asynchronous calls does not exist yet, so no execution ever exists: 404.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../../http/index.ts';
import { requireScope } from './build.ts';

export function registerRpcExecutions(app: FastifyInstance): void {
  const none = async (request: FastifyRequest) => {
    requireScope(request, 'read:rpc');
    throw errors.notFound('execution', 'No such execution (asynchronous RPC is not available on this server)');
  };
  app.get('/api/v1/rpc/executions/:id', none);
  app.get('/api/v1/rpc/executions/:id/logs', none);
}
