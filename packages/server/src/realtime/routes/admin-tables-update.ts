// PATCH /api/v1/admin/realtime/tables/:schema/:table {events?, exclude?} → the updated
// registry entry (the trigger is re-created for the new events). 404 unless the table is
// enabled; 400 when neither field is given.
import type { FastifyInstance } from 'fastify';
import { AppError, adminOnly, optionalBody, parseInput } from '../../http/index.ts';
import { updateTable } from '../capture/index.ts';
import type { RealtimeAdminDeps } from './admin-tables-deps.ts';
import { TABLES_PATH, tableParams, UpdateBody } from './admin-tables-schema.ts';

export function registerAdminTablesUpdate(app: FastifyInstance, deps: RealtimeAdminDeps): void {
  app.patch(`${TABLES_PATH}/:schema/:table`, { preHandler: adminOnly }, async (request) => {
    const ref = tableParams(request);
    const body = parseInput(optionalBody(UpdateBody), request.body);
    if (body.events === undefined && body.exclude === undefined) {
      throw new AppError('VALIDATION_FAILED', {
        message: 'No updates provided: give events and/or exclude',
        details: { fields: { events: 'give events or exclude', exclude: 'give events or exclude' } },
      });
    }
    const entry = await updateTable(deps.db.admin, { ...ref, events: body.events, exclude: body.exclude });
    await deps.registryChanged?.();
    return entry;
  });
}
