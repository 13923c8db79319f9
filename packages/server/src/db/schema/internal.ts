// Which schemas no API route reaches: Fluxbase's own (docs/rest.md "Exposed schemas and
// profiles") and PostgreSQL's system schemas. The one list REST (rest/target.ts), the admin
// schema routes (admin/params.ts) and DDL names (admin/ddl/names.ts) consult.

/** Fluxbase's own schemas: never exposed, listed, typed or altered through the API. */
export const FLUXBASE_SCHEMAS: ReadonlySet<string> = new Set(['auth', 'storage', 'jobs', 'functions', 'realtime', 'webhooks', 'fluxbase']);

/** PostgreSQL's system schemas (`pg_catalog`, `pg_toast`, any `pg_*`, `information_schema`). */
export function isSystemSchema(name: string): boolean {
  return name.startsWith('pg_') || name === 'information_schema';
}

/** A schema the API never serves: Fluxbase's own or PostgreSQL's. */
export function isInternalSchema(name: string): boolean {
  return FLUXBASE_SCHEMAS.has(name) || isSystemSchema(name);
}
