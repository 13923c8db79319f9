// Admin route registration: one file per route (or per resource) under routes/, each
// guarded by the admin check. `AdminDeps` is what app.ts passes in.
import type { FastifyInstance } from 'fastify';
import type { AdminDeps } from './deps.ts';
import { registerApiTables } from './routes/api-tables.ts';
import { registerDdlColumns } from './routes/ddl-columns.ts';
import { registerDdlSchemas } from './routes/ddl-schemas.ts';
import { registerDdlTables } from './routes/ddl-tables.ts';
import { registerSchemaRefresh } from './routes/schema-refresh.ts';
import { registerSchemaTypescript } from './routes/schema-typescript.ts';
import { registerSchemasList } from './routes/schemas-list.ts';
import { registerSqlExecute } from './routes/sql-execute.ts';
import { registerTableGet } from './routes/table-get.ts';
import { registerTablesList } from './routes/tables-list.ts';

export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  registerSchemaRefresh(app, deps);
  registerSchemaTypescript(app, deps);
  registerSchemasList(app, deps);
  registerTablesList(app, deps);
  registerTableGet(app, deps);
  registerApiTables(app, deps);
  registerDdlSchemas(app, deps);
  registerDdlTables(app, deps);
  registerDdlColumns(app, deps);
  registerSqlExecute(app, deps);
}
