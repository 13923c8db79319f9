// The owners of the named schemas, read from the catalog on the owner connection (for
// GET /admin/ddl/schemas; the schema cache does not keep owners).
import type postgres from 'postgres';

export async function schemaOwners(sql: postgres.Sql, names: readonly string[]): Promise<{ name: string; owner: string }[]> {
  const rows = await sql<{ name: string; owner: string }[]>`
    select nspname as name, pg_get_userbyid(nspowner)::text as owner
    from pg_namespace where nspname = any(${names as string[]}) order by nspname`;
  return rows.map((r) => ({ name: r.name, owner: r.owner }));
}
