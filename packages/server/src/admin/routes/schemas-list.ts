// GET /api/v1/admin/schemas: the application's schemas (Fluxbase's internal ones left
// out), each with whether REST and GraphQL expose it.
import type { FastifyInstance } from 'fastify';
import { isInternalSchema } from '../params.ts';
import { adminOnly } from '../require-admin.ts';
import type { AdminDeps } from '../deps.ts';
import { byName } from '../ts-syntax.ts';

export function registerSchemasList(app: FastifyInstance, deps: AdminDeps): void {
  app.get('/api/v1/admin/schemas', { preHandler: adminOnly }, async () => {
    const snapshot = deps.schema.current();
    const exposed = new Set(snapshot.exposedSchemas);
    return snapshot.schemas
      .filter((s) => !isInternalSchema(s))
      .sort(byName)
      .map((name) => ({ name, exposed: exposed.has(name) }));
  });
}
