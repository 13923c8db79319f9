// The admin routes that enable tables for realtime (docs/realtime.md "Enabling a table"),
// one file per route: admin-tables-{create,list,read,update,delete}.ts. Admin principal
// only; the trigger DDL runs on the owner connection (db.admin).
import type { FastifyInstance } from 'fastify';
import type { RealtimeAdminDeps } from './admin-tables-deps.ts';
import { registerAdminTablesCreate } from './admin-tables-create.ts';
import { registerAdminTablesDelete } from './admin-tables-delete.ts';
import { registerAdminTablesList } from './admin-tables-list.ts';
import { registerAdminTablesRead } from './admin-tables-read.ts';
import { registerAdminTablesUpdate } from './admin-tables-update.ts';

export type { RealtimeAdminDeps };

export function registerRealtimeAdminRoutes(app: FastifyInstance, deps: RealtimeAdminDeps): void {
  registerAdminTablesCreate(app, deps);
  registerAdminTablesList(app, deps);
  registerAdminTablesRead(app, deps);
  registerAdminTablesUpdate(app, deps);
  registerAdminTablesDelete(app, deps);
}
