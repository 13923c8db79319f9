// GET /api/v1/admin/realtime/tables/:schema/:table → the table's registry entry, or
// {schema, table, realtime_enabled: false, events: [], excluded_columns: []} when it was
// never enabled; 404 for an unknown table, 400 for an internal schema.
import type { FastifyInstance } from 'fastify';
import { adminOnly } from '../../http/index.ts';
import { getTable } from '../capture/index.ts';
import type { RealtimeAdminDeps } from './admin-tables-deps.ts';
import { TABLES_PATH, tableParams } from './admin-tables-schema.ts';

export function registerAdminTablesRead(app: FastifyInstance, deps: RealtimeAdminDeps): void {
  app.get(`${TABLES_PATH}/:schema/:table`, { preHandler: adminOnly }, async (request) => {
    return getTable(deps.db.admin, tableParams(request));
  });
}
