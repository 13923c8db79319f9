// GET /api/v1/functions/:name[?namespace=] → Function with its code (admin); 404 FUNCTION_NOT_FOUND.
import type { FastifyInstance } from 'fastify';
import { adminOnly } from '../../http/index.ts';
import { FUNCTIONS_PATH, functionRef, functionView, type FunctionsRouteDeps } from './schema.ts';

export function registerFunctionsGet(app: FastifyInstance, deps: FunctionsRouteDeps): void {
  app.get(`${FUNCTIONS_PATH}/:name`, { preHandler: adminOnly }, async (request) => {
    const { namespace, name } = functionRef(request);
    return functionView(await deps.service.find(namespace, name), true);
  });
}
