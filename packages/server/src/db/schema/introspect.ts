// The catalog queries of the schema cache: a fixed set of six pg_catalog queries (never one
// per table, seed 2.1), pipelined on one connection inside one read-only repeatable-read
// transaction so they see one consistent catalog state. Each query is counted, so load
// statistics report what was really sent.
import type postgres from 'postgres';
import type { CatalogRows, ColumnRow, EnumRow, ForeignKeyRow, FunctionRow, RelationRow, SchemaRow } from './catalog-rows.ts';

export interface LoadStats {
  /** Statements sent for the last load (the catalog queries). */
  queries: number;
  /** Wall-clock duration of the last load, in milliseconds. */
  ms: number;
}

/** Every schema except PostgreSQL's own (pg_catalog, pg_toast, pg_temp_N, …) and information_schema. */
const USER_SCHEMA = `(n.nspname !~ '^pg_' and n.nspname <> 'information_schema')`;

/** Relations the cache knows: tables, partitioned tables, views, materialized views, foreign tables (not partitions). */
const RELATION = `(c.relkind in ('r', 'p', 'v', 'm', 'f') and not c.relispartition and ${USER_SCHEMA})`;

// One row that also empties search_path for the rest of the transaction, so format_type and pg_get_expr
// schema-qualify every non-pg_catalog name (`public.mood`, `nextval('public.t_id_seq'::regclass)`)
// whatever search_path the pooled connection happens to carry.
const SCHEMAS_SQL = `
select
  set_config('search_path', '', true) as search_path,
  array(select n.nspname::text from pg_catalog.pg_namespace n where ${USER_SCHEMA} order by n.nspname) as names`;

const RELATIONS_SQL = `
select
  c.oid,
  n.nspname as schema,
  c.relname as name,
  c.relkind::text as relkind,
  c.relrowsecurity as rls,
  c.reltuples::float8 as reltuples,
  d.description as comment,
  case when c.relkind in ('v', 'f') then pg_relation_is_updatable(c.oid, true) else 0 end as "updatableMask",
  case when c.relkind in ('v', 'm') then
    (select r.ev_action::text from pg_rewrite r where r.ev_class = c.oid and r.rulename = '_RETURN')
  end as "viewDefinition",
  coalesce((
    select json_agg(json_build_object(
      'name', ic.relname,
      'unique', i.indisunique,
      'primary', i.indisprimary,
      'partial', i.indpred is not null,
      'expressions', i.indexprs is not null,
      'valid', i.indisvalid,
      'columns', (
        select json_agg(case when k.attnum = 0 then pg_get_indexdef(i.indexrelid, k.ord::int, true) else a.attname::text end order by k.ord)
        from unnest(i.indkey::int2[]) with ordinality as k(attnum, ord)
        left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
        where k.ord <= i.indnkeyatts)
    ) order by i.indisprimary desc, ic.relname)
    from pg_index i
    join pg_class ic on ic.oid = i.indexrelid
    where i.indrelid = c.oid
  ), '[]'::json) as indexes
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
left join pg_description d on d.objoid = c.oid and d.classoid = 'pg_class'::regclass and d.objsubid = 0
where ${RELATION}
order by n.nspname, c.relname`;

const COLUMNS_SQL = `
select
  a.attrelid as relid,
  a.attnum::int as attnum,
  a.attname as name,
  format_type(a.atttypid, a.atttypmod) as type,
  t.typname as "udtName",
  tn.nspname as "udtSchema",
  t.typcategory::text as category,
  et.typname as "elementType",
  not (a.attnotnull or (t.typtype = 'd' and t.typnotnull)) as nullable,
  case when a.attgenerated <> '' or a.attidentity <> '' then null
       else coalesce(pg_get_expr(ad.adbin, ad.adrelid), case when t.typtype = 'd' then pg_get_expr(t.typdefaultbin, 0) end)
  end as default,
  a.attgenerated <> '' as generated,
  a.attidentity::text as identity,
  case when coalesce(bt.oid, t.oid) in ('pg_catalog.varchar'::regtype, 'pg_catalog.bpchar'::regtype)
            and coalesce(nullif(a.atttypmod, -1), nullif(t.typtypmod, -1), -1) >= 4
       then coalesce(nullif(a.atttypmod, -1), t.typtypmod) - 4
  end as "maxLength",
  coalesce(
    case when t.typtype = 'e' then t.oid end,
    case when et.typtype = 'e' then et.oid end,
    case when bt.typtype = 'e' then bt.oid end
  )::oid as "enumOid",
  d.description as comment
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_type t on t.oid = a.atttypid
join pg_namespace tn on tn.oid = t.typnamespace
left join pg_type et on t.typcategory = 'A' and et.oid = t.typelem
left join pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
left join pg_description d on d.objoid = a.attrelid and d.classoid = 'pg_class'::regclass and d.objsubid = a.attnum
where ${RELATION} and a.attnum > 0 and not a.attisdropped
order by a.attrelid, a.attnum`;

// conparentid = 0: a foreign key on a partitioned table is cloned onto each partition;
// only the parent's constraint is the relationship.
const FOREIGN_KEYS_SQL = `
select
  k.conname as name,
  k.conrelid as relid,
  k.confrelid as "refRelid",
  (select json_agg(a.attname order by u.ord) from unnest(k.conkey) with ordinality as u(attnum, ord)
     join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum) as columns,
  (select json_agg(a.attname order by u.ord) from unnest(k.confkey) with ordinality as u(attnum, ord)
     join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.attnum) as "refColumns"
from pg_constraint k
join pg_namespace n on n.oid = k.connamespace
where k.contype = 'f' and k.conparentid = 0 and ${USER_SCHEMA}
order by k.conrelid, k.conname`;

const FUNCTIONS_SQL = `
select
  p.oid,
  n.nspname as schema,
  p.proname as name,
  p.provolatile::text as volatility,
  p.proretset as "returnsSet",
  p.pronargdefaults::int as "nargDefaults",
  format_type(p.prorettype, null) as "returnType",
  rt.typname as "returnTypeName",
  rtn.nspname as "returnTypeSchema",
  rt.typtype::text as "returnTyptype",
  rcn.nspname as "returnRelSchema",
  rc.relname as "returnRelName",
  coalesce((
    select json_agg(json_build_object(
      'name', coalesce(p.proargnames[u.ord], ''),
      'type', format_type(u.typ, null),
      'udt', ut.typname,
      'mode', coalesce(p.proargmodes[u.ord]::text, 'i')
    ) order by u.ord)
    from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality as u(typ, ord)
    join pg_type ut on ut.oid = u.typ
  ), '[]'::json) as args,
  case when rt.typtype = 'c' then (
    select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'udt', at.typname) order by a.attnum)
    from pg_attribute a
    join pg_type at on at.oid = a.atttypid
    where a.attrelid = rt.typrelid and a.attnum > 0 and not a.attisdropped
  ) end as "compositeColumns",
  d.description as comment
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_type rt on rt.oid = p.prorettype
join pg_namespace rtn on rtn.oid = rt.typnamespace
left join pg_class rc on rc.oid = rt.typrelid and rc.relkind in ('r', 'p', 'v', 'm', 'f')
left join pg_namespace rcn on rcn.oid = rc.relnamespace
left join pg_description d on d.objoid = p.oid and d.classoid = 'pg_proc'::regclass and d.objsubid = 0
where p.prokind = 'f' and ${USER_SCHEMA}
  and p.prorettype not in ('pg_catalog.trigger'::regtype, 'pg_catalog.event_trigger'::regtype)
order by n.nspname, p.proname, p.oid`;

const ENUMS_SQL = `
select t.oid, n.nspname as schema, t.typname as name,
       array_agg(e.enumlabel::text order by e.enumsortorder) as labels
from pg_type t
join pg_namespace n on n.oid = t.typnamespace
join pg_enum e on e.enumtypid = t.oid
where ${USER_SCHEMA}
group by t.oid, n.nspname, t.typname
order by n.nspname, t.typname`;

/** Reads the catalogs in one pipelined transaction; returns the rows and what it cost. */
export async function introspect(sql: postgres.Sql): Promise<{ rows: CatalogRows; stats: LoadStats }> {
  const started = performance.now();
  let queries = 0;
  const rows = await sql.begin('isolation level repeatable read read only', async (tx) => {
    // Issued without awaiting in between: postgres.js pipelines them on the transaction's connection.
    const run = <T>(text: string): Promise<T[]> => {
      queries++;
      return tx.unsafe(text, [], { prepare: true }) as unknown as Promise<T[]>;
    };
    const [schemaRows, relations, columns, foreignKeys, functions, enums] = await Promise.all([
      run<{ names: string[] }>(SCHEMAS_SQL),
      run<RelationRow>(RELATIONS_SQL),
      run<ColumnRow>(COLUMNS_SQL),
      run<ForeignKeyRow>(FOREIGN_KEYS_SQL),
      run<FunctionRow>(FUNCTIONS_SQL),
      run<EnumRow>(ENUMS_SQL),
    ]);
    const schemas: SchemaRow[] = (schemaRows[0]?.names ?? []).map((name) => ({ name }));
    return { schemas, relations, columns, foreignKeys, functions, enums };
  });
  return { rows, stats: { queries, ms: performance.now() - started } };
}
