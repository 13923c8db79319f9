// Schema cache: introspection of tables, views, columns, keys, relationships, functions
// and enums in a few batched catalog queries, reloaded on DDL and on NOTIFY.
export * from './types.ts';
