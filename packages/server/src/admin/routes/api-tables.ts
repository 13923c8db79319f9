// GET /api/v1/tables[?schema=a,b] (admin; docs/types.md "Metadata routes"): the REST-facing
// listing, each relation with its path under /api/v1/tables. Default: the exposed schemas.
import type { FastifyInstance } from 'fastify';
import { tableListing, tablesIn } from '../metadata.ts';
import { checkSchemas, defaultSchemas, schemaListParam } from '../params.ts';
import { adminOnly } from '../require-admin.ts';
import type { AdminDeps } from '../deps.ts';

export function registerApiTables(app: FastifyInstance, deps: AdminDeps): void {
  app.get('/api/v1/tables', { preHandler: adminOnly }, async (request) => {
    const snapshot = deps.schema.current();
    const asked = schemaListParam((request.query as { schema?: string | string[] }).schema, 'schema');
    const schemas = asked ? checkSchemas(snapshot, asked, 'schema') : defaultSchemas(snapshot);
    return tablesIn(snapshot, schemas).map((t) => tableListing(snapshot, t));
  });
}
