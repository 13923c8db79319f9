// Admin: routes for the admin principal only — schema cache refresh, schema metadata,
// TypeScript type generation, DDL (schemas, tables, columns) and the SQL console. Reads
// the schema cache; DDL runs on the owner connection, SQL as service_role. The type
// generator is pure (snapshot → source) and shared with the `fluxbase types` CLI.
export { registerAdminRoutes } from './routes.ts';
export type { AdminDeps } from './deps.ts';
export { generateTypes, type TypegenOptions } from './typegen.ts';
export { requireAdmin } from './require-admin.ts';
export { isInternalSchema, checkSchemas } from './params.ts';
