// POST /api/v1/functions/:name/versions/:version/restore[?namespace=] → 200 Function: the
// code and settings of that version deployed again, as a new version (admin); 404.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { adminOnly, parseInput } from '../../http/index.ts';
import { FUNCTIONS_PATH, functionRef, functionView, type FunctionsRouteDeps } from './schema.ts';

const VersionParams = z.object({ name: z.string(), version: z.string().regex(/^[1-9]\d{0,8}$/, 'must be a version number').transform(Number) });

export function registerFunctionsVersionsRestore(app: FastifyInstance, deps: FunctionsRouteDeps): void {
  app.post(`${FUNCTIONS_PATH}/:name/versions/:version/restore`, { preHandler: adminOnly }, async (request) => {
    const { namespace, name } = functionRef(request);
    const { version } = parseInput(VersionParams, request.params, 'params');
    return functionView(await deps.service.restore(namespace, name, version, request.principal));
  });
}
