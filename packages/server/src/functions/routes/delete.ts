// DELETE /api/v1/functions/:name[?namespace=] → 204 (admin): the function, its versions and
// execution log; its warm workers stop.
import type { FastifyInstance } from 'fastify';
import { adminOnly } from '../../http/index.ts';
import { FUNCTIONS_PATH, functionRef, type FunctionsRouteDeps } from './schema.ts';

export function registerFunctionsDelete(app: FastifyInstance, deps: FunctionsRouteDeps): void {
  app.delete(`${FUNCTIONS_PATH}/:name`, { preHandler: adminOnly }, async (request, reply) => {
    const { namespace, name } = functionRef(request);
    await deps.service.remove(namespace, name);
    return reply.code(204).send();
  });
}
