// GET /rest/v1/: the OpenAPI description of the Accept-Profile schema (openapi.ts), behind
// the same check as every admin route: service role with scope `*` (a stored key scoped
// to, say, read:storage may not read the schema), or an admin user.
import type { FastifyInstance } from 'fastify';
import { requireAdmin } from '../../http/index.ts';
import type { RestDeps } from '../deps.ts';
import { openApiDocument } from '../openapi.ts';
import { profileSchema } from '../target.ts';

export function registerPostgrestOpenApi(app: FastifyInstance, deps: RestDeps): void {
  app.get('/rest/v1/', async (request) => {
    await requireAdmin(request);
    const snapshot = deps.schema.current();
    return openApiDocument(snapshot, profileSchema(snapshot, request.headers['accept-profile']), deps.config.server.public_url);
  });
}
