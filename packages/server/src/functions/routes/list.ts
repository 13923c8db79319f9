// GET /api/v1/functions[?namespace=] → [Function] without code (admin).
import type { FastifyInstance } from 'fastify';
import { adminOnly } from '../../http/index.ts';
import { FUNCTIONS_PATH, functionView, namespaceFilter, type FunctionsRouteDeps } from './schema.ts';

export function registerFunctionsList(app: FastifyInstance, deps: FunctionsRouteDeps): void {
  app.get(FUNCTIONS_PATH, { preHandler: adminOnly }, async (request) => {
    const rows = await deps.service.list(namespaceFilter(request));
    return rows.map((f) => functionView(f));
  });
}
