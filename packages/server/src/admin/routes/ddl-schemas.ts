// GET /api/v1/admin/ddl/schemas → {schemas: [{name, owner}]} (internal schemas left out);
// POST {name} → 201 {success, schema, message}, 409 ALREADY_EXISTS when it exists.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseAdminBody } from '../admin-body.ts';
import type { AdminDeps } from '../deps.ts';
import { userSchema } from '../ddl/names.ts';
import { runDdl } from '../ddl/run.ts';
import { schemaOwners } from '../ddl/schema-owners.ts';
import { createSchemaStatements } from '../ddl/statements.ts';
import { isInternalSchema } from '../params.ts';
import { adminOnly } from '../require-admin.ts';

/** `name` is checked by userSchema() (identifier rules, not an internal schema). */
const Body = z.strictObject({ name: z.unknown().optional() });

export function registerDdlSchemas(app: FastifyInstance, deps: AdminDeps): void {
  app.get('/api/v1/admin/ddl/schemas', { preHandler: adminOnly }, async () => {
    const names = deps.schema.current().schemas.filter((s) => !isInternalSchema(s));
    return { schemas: await schemaOwners(deps.db.admin, names) };
  });

  app.post('/api/v1/admin/ddl/schemas', { preHandler: adminOnly }, async (request, reply) => {
    const name = userSchema(parseAdminBody(Body, request.body).name, 'name');
    await runDdl(deps, { resource: 'schema', name }, createSchemaStatements(name));
    return reply.code(201).send({ success: true, schema: name, message: `Schema "${name}" created` });
  });
}
