// GET /api/v1/admin/ddl/tables[?schema=a,b] → {tables: [{schema, name}]};
// POST {schema?, name, columns} → 201 {success, schema, table, message} (RLS enabled,
// granted to the API roles); DELETE /ddl/tables/:schema/:table → {success, message}.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errors } from '../../http/index.ts';
import { qualified } from '../../query/index.ts';
import { parseAdminBody } from '../admin-body.ts';
import type { AdminDeps } from '../deps.ts';
import { TableColumn } from '../ddl/column.schema.ts';
import { tableDefinition } from '../ddl/definitions.ts';
import { existingSchema, userSchema } from '../ddl/names.ts';
import { grantSerialSequences, runDdl } from '../ddl/run.ts';
import { createTableStatements, dropTableStatement } from '../ddl/statements.ts';
import { tablesIn, tableType } from '../metadata.ts';
import { checkSchemas, isInternalSchema, schemaListParam } from '../params.ts';
import { adminOnly } from '../require-admin.ts';

const MAX_COLUMNS = 1600; // PostgreSQL's limit per table
const COLUMNS = 'must be a non-empty array of column definitions';

/** `schema` and `name` are checked by userSchema() and identifier() after the shape. */
const Body = z.strictObject({
  schema: z.unknown().optional(),
  name: z.unknown().optional(),
  columns: z.array(TableColumn, { error: COLUMNS }).min(1, COLUMNS).max(MAX_COLUMNS, COLUMNS),
});

export function registerDdlTables(app: FastifyInstance, deps: AdminDeps): void {
  app.get('/api/v1/admin/ddl/tables', { preHandler: adminOnly }, async (request) => {
    const snapshot = deps.schema.current();
    const asked = schemaListParam((request.query as { schema?: string | string[] }).schema, 'schema');
    const schemas = asked ? checkSchemas(snapshot, asked, 'schema') : snapshot.schemas.filter((s) => !isInternalSchema(s));
    const tables = tablesIn(snapshot, schemas).filter((t) => tableType(t) === 'table');
    return { tables: tables.map((t) => ({ schema: t.schema, name: t.name })) };
  });

  app.post('/api/v1/admin/ddl/tables', { preHandler: adminOnly }, async (request, reply) => {
    const snapshot = deps.schema.current();
    const req = tableDefinition(parseAdminBody(Body, request.body), snapshot);
    existingSchema(snapshot, req.schema);
    const statements = createTableStatements(req.schema, req.name, req.columns, req.primaryKey);
    await runDdl(deps, { resource: 'table', name: `${req.schema}.${req.name}` }, statements,
      grantSerialSequences(qualified(req.schema, req.name), req.serials));
    return reply.code(201).send({ success: true, schema: req.schema, table: req.name, message: `Table "${req.schema}.${req.name}" created` });
  });

  app.delete('/api/v1/admin/ddl/tables/:schema/:table', { preHandler: adminOnly }, async (request) => {
    const params = request.params as { schema: string; table: string };
    const schema = userSchema(params.schema);
    const table = deps.schema.table(schema, params.table);
    if (!table || tableType(table) !== 'table' || table.kind === 'foreign_table') {
      throw errors.notFound('table', `Table "${schema}.${params.table}" not found`);
    }
    await runDdl(deps, { resource: 'table', name: `${schema}.${table.name}` }, [dropTableStatement(schema, table.name)]);
    return { success: true, message: `Table "${schema}.${table.name}" dropped` };
  });
}
