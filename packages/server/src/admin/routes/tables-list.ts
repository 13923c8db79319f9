// GET /api/v1/admin/tables[?schema=a,b]: metadata of every table and view in the given
// schemas (default: the exposed ones), sorted by schema then name.
import type { FastifyInstance } from 'fastify';
import { tableMetadata, tablesIn } from '../metadata.ts';
import { checkSchemas, defaultSchemas, schemaListParam } from '../params.ts';
import { adminOnly } from '../require-admin.ts';
import type { AdminDeps } from '../deps.ts';

export function registerTablesList(app: FastifyInstance, deps: AdminDeps): void {
  app.get('/api/v1/admin/tables', { preHandler: adminOnly }, async (request) => {
    const snapshot = deps.schema.current();
    const asked = schemaListParam((request.query as { schema?: string | string[] }).schema, 'schema');
    const schemas = asked ? checkSchemas(snapshot, asked, 'schema') : defaultSchemas(snapshot);
    return tablesIn(snapshot, schemas).map((t) => tableMetadata(snapshot, t));
  });
}
