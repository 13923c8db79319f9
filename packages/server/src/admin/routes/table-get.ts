// GET /api/v1/admin/tables/:schema/:table: one relation's metadata; 404 NOT_FOUND
// (details.resource "table") for an unknown relation or an internal schema.
import type { FastifyInstance } from 'fastify';
import { errors } from '../../http/index.ts';
import { tableMetadata } from '../metadata.ts';
import { isInternalSchema } from '../params.ts';
import { adminOnly } from '../require-admin.ts';
import type { AdminDeps } from '../deps.ts';

export function registerTableGet(app: FastifyInstance, deps: AdminDeps): void {
  app.get('/api/v1/admin/tables/:schema/:table', { preHandler: adminOnly }, async (request) => {
    const { schema, table } = request.params as { schema: string; table: string };
    const found = isInternalSchema(schema) ? undefined : deps.schema.table(schema, table);
    if (!found) throw errors.notFound('table', `Table "${schema}.${table}" not found`);
    return tableMetadata(deps.schema.current(), found);
  });
}
