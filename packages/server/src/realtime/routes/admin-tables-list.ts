// GET /api/v1/admin/realtime/tables[?enabled=false] → {tables: [{id, schema, table,
// realtime_enabled, events, excluded_columns, created_at, updated_at}], count}: the enabled
// tables, or with enabled=false every registry entry (one whose table was dropped shows
// realtime_enabled false).
import type { FastifyInstance } from 'fastify';
import { adminOnly, parseInput } from '../../http/index.ts';
import { listTables } from '../capture/index.ts';
import type { RealtimeAdminDeps } from './admin-tables-deps.ts';
import { ListQuery, TABLES_PATH } from './admin-tables-schema.ts';

export function registerAdminTablesList(app: FastifyInstance, deps: RealtimeAdminDeps): void {
  app.get(TABLES_PATH, { preHandler: adminOnly }, async (request) => {
    const { enabled } = parseInput(ListQuery, request.query, 'query');
    const tables = await listTables(deps.db.admin, { enabledOnly: enabled !== 'false' && enabled !== '0' });
    return { tables, count: tables.length };
  });
}
