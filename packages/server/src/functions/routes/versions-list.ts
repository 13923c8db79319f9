// GET /api/v1/functions/:name/versions[?namespace=] → [{version, code_bytes, created_by,
// created_at}], newest first (admin).
import type { FastifyInstance } from 'fastify';
import { adminOnly } from '../../http/index.ts';
import { FUNCTIONS_PATH, functionRef, type FunctionsRouteDeps } from './schema.ts';

export function registerFunctionsVersionsList(app: FastifyInstance, deps: FunctionsRouteDeps): void {
  app.get(`${FUNCTIONS_PATH}/:name/versions`, { preHandler: adminOnly }, async (request) => {
    const { namespace, name } = functionRef(request);
    return deps.service.versions(namespace, name);
  });
}
