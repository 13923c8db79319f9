// SQL of the realtime RLS checker (docs/realtime.md "Who receives a change"): the SELECT
// policy predicate that applies to a role on a table, and the one-statement visibility check
// of migrations/011_realtime_rls.up.sql.
import type { ReservedSql } from '../../db/index.ts';

export interface TableAccess {
  exists: boolean;
  rlsEnabled: boolean;
  forceRls: boolean;
  canSelect: boolean;
  bypassRls: boolean;
  owner: boolean;
  /** SELECT (and ALL) policies that apply to the role, printed fully qualified. */
  policies: { permissive: boolean; qual: string }[];
}

// pg_get_expr prints names relative to search_path: with an empty one every function and
// operator comes out schema-qualified, so the predicate means the same wherever it runs.
const ACCESS_SQL = `
select c.relrowsecurity as rls, c.relforcerowsecurity as force,
       pg_catalog.has_table_privilege($2, c.oid, 'SELECT') as can_select,
       coalesce((select r.rolbypassrls from pg_catalog.pg_roles r where r.rolname = $2), false) as bypass,
       pg_catalog.pg_has_role($2, c.relowner, 'USAGE') as owner,
       coalesce((select pg_catalog.json_agg(pg_catalog.json_build_object('permissive', p.polpermissive, 'qual', pg_catalog.pg_get_expr(p.polqual, p.polrelid)) order by p.polname)
                   from pg_catalog.pg_policy p
                  where p.polrelid = c.oid and p.polcmd in ('r', '*') and p.polqual is not null
                    and ('0'::oid = any (p.polroles) or exists (select 1 from pg_catalog.unnest(p.polroles) as pr(oid) where pg_catalog.pg_has_role($2, pr.oid, 'MEMBER')))),
                '[]'::json) as policies
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where n.nspname = $1 and c.relname = $3`;

export async function loadTableAccess(conn: ReservedSql, schema: string, table: string, role: string): Promise<TableAccess> {
  await conn.unsafe('begin');
  try {
    await conn.unsafe(`select pg_catalog.set_config('search_path', '', true)`);
    const rows = await conn.unsafe(ACCESS_SQL, [schema, role, table]);
    await conn.unsafe('commit');
    const r = rows[0];
    if (!r) return { exists: false, rlsEnabled: false, forceRls: false, canSelect: false, bypassRls: false, owner: false, policies: [] };
    return {
      exists: true, rlsEnabled: r.rls as boolean, forceRls: r.force as boolean, canSelect: r.can_select as boolean,
      bypassRls: r.bypass as boolean, owner: r.owner as boolean, policies: r.policies as TableAccess['policies'],
    };
  } catch (err) {
    await conn.unsafe('rollback').catch(() => {});
    throw err;
  }
}

export interface VisibilityCheck {
  role: string;
  claims: string;
  sub: string;
  predicate: string;
  /** 1-based positions in the records array of the rows this check needs. */
  rows: number[];
}

/**
 * Pairs [check index, record index] that are visible. One statement for the whole batch;
 * `safe` isolates each check (one that raises counts as not visible), at some cost.
 */
export async function visibleRecords(conn: ReservedSql, relation: string, records: unknown[], checks: VisibilityCheck[], safe = false): Promise<[number, number][]> {
  const rows = await conn.unsafe(
    'select check_index, record_index from realtime.visible_records($1::text::regclass, $2::text::jsonb, $3::text::jsonb, $4::boolean)',
    [relation, JSON.stringify(records), JSON.stringify(checks), safe],
    { prepare: true },
  );
  return rows.map((r) => [r.check_index as number, r.record_index as number]);
}

export interface ClaimSetGroup {
  role: string;
  /** The predicate with the claim helpers replaced by __fb_c columns (rls.ts groupedPredicate). */
  predicate: string;
  sets: { __fb_k: number; __fb_uid: string | null; __fb_jwt: unknown; __fb_role: string; __fb_rows: number[] }[];
}

/** Pairs [set key, record index] that are visible: one query per group (role and predicate). */
export async function visibleRecordsGrouped(conn: ReservedSql, relation: string, records: unknown[], groups: ClaimSetGroup[]): Promise<[number, number][]> {
  const rows = await conn.unsafe(
    'select check_index, record_index from realtime.visible_records_grouped($1::text::regclass, $2::text::jsonb, $3::text::jsonb)',
    [relation, JSON.stringify(records), JSON.stringify(groups)],
    { prepare: true },
  );
  return rows.map((r) => [r.check_index as number, r.record_index as number]);
}
