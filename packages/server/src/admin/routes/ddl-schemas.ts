// GET /api/v1/admin/ddl/schemas → {schemas: [{name, owner}]} (internal schemas left out);
// POST {name} → 201 {success, schema, message}, 409 ALREADY_EXISTS when it exists.
import type { FastifyInstance } from 'fastify';
import type { AdminDeps } from '../deps.ts';
import { createSchemaStatements } from '../ddl/statements.ts';
import { schemaRequest } from '../ddl/requests.ts';
import { runDdl } from '../ddl/run.ts';
import { isInternalSchema } from '../params.ts';
import { adminOnly } from '../require-admin.ts';

export function registerDdlSchemas(app: FastifyInstance, deps: AdminDeps): void {
  app.get('/api/v1/admin/ddl/schemas', { preHandler: adminOnly }, async () => {
    const names = deps.schema.current().schemas.filter((s) => !isInternalSchema(s));
    const rows = await deps.db.admin<{ name: string; owner: string }[]>`
      select nspname as name, pg_get_userbyid(nspowner)::text as owner
      from pg_namespace where nspname = any(${names}) order by nspname`;
    return { schemas: rows.map((r) => ({ name: r.name, owner: r.owner })) };
  });

  app.post('/api/v1/admin/ddl/schemas', { preHandler: adminOnly }, async (request, reply) => {
    const name = schemaRequest(request.body);
    await runDdl(deps, { resource: 'schema', name }, createSchemaStatements(name));
    return reply.code(201).send({ success: true, schema: name, message: `Schema "${name}" created` });
  });
}
