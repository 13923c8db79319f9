// DELETE /api/v1/admin/realtime/tables/:schema/:table → {success: true, message}: drops the
// capture trigger and the registry entry. Idempotent for an existing table; 404 when there is
// neither the table nor an entry for it.
import type { FastifyInstance } from 'fastify';
import { adminOnly } from '../../http/index.ts';
import { disableTable } from '../capture/index.ts';
import type { RealtimeAdminDeps } from './admin-tables-deps.ts';
import { TABLES_PATH, tableParams } from './admin-tables-schema.ts';

export function registerAdminTablesDelete(app: FastifyInstance, deps: RealtimeAdminDeps): void {
  app.delete(`${TABLES_PATH}/:schema/:table`, { preHandler: adminOnly }, async (request) => {
    const ref = tableParams(request);
    const { wasEnabled } = await disableTable(deps.db.admin, ref);
    await deps.registryChanged?.();
    const name = `"${ref.schema}.${ref.table}"`;
    return { success: true, message: wasEnabled ? `Realtime disabled for ${name}` : `Realtime was not enabled for ${name}` };
  });
}
