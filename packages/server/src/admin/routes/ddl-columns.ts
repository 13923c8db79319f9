// POST /api/v1/admin/tables/:schema/:table/columns {name, type, nullable?, defaultValue?}
// → 201 {success, schema, table, column, message}; DELETE …/columns/:column → {success, message}.
import type { FastifyInstance } from 'fastify';
import { errors } from '../../http/index.ts';
import { qualified } from '../../query/index.ts';
import { parseAdminBody } from '../admin-body.ts';
import type { AdminDeps } from '../deps.ts';
import { NewColumnBody } from '../ddl/column.schema.ts';
import { columnDefinition } from '../ddl/definitions.ts';
import { userSchema } from '../ddl/names.ts';
import { grantSerialSequences, runDdl } from '../ddl/run.ts';
import { addColumnStatement, dropColumnStatement } from '../ddl/statements.ts';
import { tableType } from '../metadata.ts';
import { adminOnly } from '../require-admin.ts';

function writableTable(deps: AdminDeps, params: { schema: string; table: string }) {
  const schema = userSchema(params.schema);
  const table = deps.schema.table(schema, params.table);
  if (!table || tableType(table) !== 'table' || table.kind === 'foreign_table') {
    throw errors.notFound('table', `Table "${schema}.${params.table}" not found`);
  }
  return table;
}

export function registerDdlColumns(app: FastifyInstance, deps: AdminDeps): void {
  app.post('/api/v1/admin/tables/:schema/:table/columns', { preHandler: adminOnly }, async (request, reply) => {
    const table = writableTable(deps, request.params as { schema: string; table: string });
    const column = columnDefinition(parseAdminBody(NewColumnBody, request.body), deps.schema.current(), table.schema);
    await runDdl(deps, { resource: 'column', name: column.name }, [addColumnStatement(table.schema, table.name, column)],
      grantSerialSequences(qualified(table.schema, table.name), column.serial ? [column.name] : []));
    return reply.code(201).send({
      success: true, schema: table.schema, table: table.name, column: column.name,
      message: `Column "${column.name}" added to "${table.schema}.${table.name}"`,
    });
  });

  app.delete('/api/v1/admin/tables/:schema/:table/columns/:column', { preHandler: adminOnly }, async (request) => {
    const params = request.params as { schema: string; table: string; column: string };
    const table = writableTable(deps, params);
    if (!table.columnMap.has(params.column)) {
      throw errors.notFound('column', `Column "${params.column}" not found in "${table.schema}.${table.name}"`);
    }
    await runDdl(deps, { resource: 'column', name: params.column }, [dropColumnStatement(table.schema, table.name, params.column)]);
    return { success: true, message: `Column "${params.column}" dropped from "${table.schema}.${table.name}"` };
  });
}
