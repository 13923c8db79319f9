// Schema cache: introspection of tables, views, columns, keys, relationships, functions
// and enums in a few batched catalog queries, reloaded on DDL and on NOTIFY.
// Reads the catalogs only; exposure (`exposedSchemas`) is enforced by the planner.
export * from './types.ts';
export { createSchemaCache, SCHEMA_CHANNEL, PGRST_CHANNEL, wantsReload, type SchemaCacheOptions, type LiveSchemaCache } from './cache.ts';
export type { LoadStats } from './introspect.ts';
export { buildSnapshot } from './build.ts';
export { buildRelationships, isUniqueKey, relationKey, type ViewColumnSource } from './relationships.ts';
export type { CatalogRows } from './catalog-rows.ts';
export { FLUXBASE_SCHEMAS, isInternalSchema, isSystemSchema } from './internal.ts';
