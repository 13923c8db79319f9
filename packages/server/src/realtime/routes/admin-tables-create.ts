// POST /api/v1/admin/realtime/tables {schema? ("public"), table, events?, exclude?} → 201
// {schema, table, events, trigger_name, exclude}: installs the capture trigger (again, when
// the table is already enabled: events and exclude are replaced). 400 for internal schemas,
// views and unknown excluded columns; 404 for an unknown table.
import type { FastifyInstance } from 'fastify';
import { adminOnly, parseInput } from '../../http/index.ts';
import { enableTable, TRIGGER_NAME } from '../capture/index.ts';
import type { RealtimeAdminDeps } from './admin-tables-deps.ts';
import { EnableBody, TABLES_PATH } from './admin-tables-schema.ts';

export function registerAdminTablesCreate(app: FastifyInstance, deps: RealtimeAdminDeps): void {
  app.post(TABLES_PATH, { preHandler: adminOnly }, async (request, reply) => {
    const body = parseInput(EnableBody, request.body);
    const entry = await enableTable(deps.db.admin, { schema: body.schema ?? 'public', table: body.table, events: body.events, exclude: body.exclude });
    await deps.registryChanged?.();
    return reply.code(201).send({
      schema: entry.schema, table: entry.table, events: entry.events, trigger_name: TRIGGER_NAME, exclude: entry.excluded_columns,
    });
  });
}
