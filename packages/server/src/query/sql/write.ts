// Compiles write plans: the write is a data-modifying CTE `_w` (RETURNING *), and the
// response is the read compiler run over `_w`, so a write's body, count and embeds are
// built in the same statement. Row values travel as one JSON parameter and are
// converted by json_populate_record(set), PostgreSQL's own JSON → row conversion.
import type { Column, Table } from '../../db/index.ts';
import type { PlannedFilter } from '../plan/types.ts';
import type { DeletePlan, InsertPlan, UpdatePlan, WritePlan } from '../plan/write.ts';
import { compileFilter } from './filter.ts';
import { Params, qualified, quoteIdent, quoteLiteral, type Statement } from './fragments.ts';
import { compileRead, type BodyFormat } from './read.ts';

const CTE = '_w';

function rowType(table: Table): string {
  return `null::${qualified(table.schema, table.name)}`;
}

function defaultExpr(table: Table, column: Column): string {
  if (column.identity) return `nextval(pg_get_serial_sequence(${quoteLiteral(`${quoteIdent(table.schema)}.${quoteIdent(table.name)}`)}, ${quoteLiteral(column.name)}))`;
  return column.default ?? 'null';
}

function insertSql(plan: InsertPlan, params: Params): string {
  const t = plan.table;
  const target = `${qualified(t.schema, t.name)} as t0`;
  if (plan.columns.length === 0) return `insert into ${target} default values${conflictSql(plan)} returning *`;
  const rows = params.add(plan.rowsJson);
  const cols = plan.columns.map((c) => quoteIdent(c.name)).join(', ');
  let select: string;
  if (plan.missingDefault && plan.rowCount > 1) {
    const exprs = plan.columns.map((c) => `case when jsonb_exists(_j.j::jsonb, ${quoteLiteral(c.name)}) then _r.${quoteIdent(c.name)} else ${defaultExpr(t, c)} end`);
    select = `select ${exprs.join(', ')} from json_array_elements(${rows}::text::json) _j(j) cross join lateral json_populate_record(${rowType(t)}, _j.j) _r`;
  } else {
    select = `select ${plan.columns.map((c) => `_r.${quoteIdent(c.name)}`).join(', ')} from json_populate_recordset(${rowType(t)}, ${rows}::text::json) _r`;
  }
  return `insert into ${target} (${cols}) ${select}${conflictSql(plan)} returning *`;
}

function conflictSql(plan: InsertPlan): string {
  if (!plan.onConflict) return '';
  const target = plan.onConflict.columns.map((c) => quoteIdent(c.name)).join(', ');
  const keys = new Set(plan.onConflict.columns.map((c) => c.name));
  const set = plan.columns.filter((c) => !keys.has(c.name));
  if (plan.onConflict.action === 'ignore' || set.length === 0) return ` on conflict (${target}) do nothing`;
  return ` on conflict (${target}) do update set ${set.map((c) => `${quoteIdent(c.name)} = excluded.${quoteIdent(c.name)}`).join(', ')}`;
}

function whereSql(filters: PlannedFilter[], params: Params): string {
  if (filters.length === 0) return '';
  return ` where ${filters.map((f) => compileFilter(f, 't0', params)).join(' and ')}`;
}

function updateSql(plan: UpdatePlan, params: Params): string {
  const t = plan.table;
  const patch = params.add(plan.patchJson);
  const set = plan.columns.map((c) => `${quoteIdent(c.name)} = _r.${quoteIdent(c.name)}`).join(', ');
  return `update ${qualified(t.schema, t.name)} as t0 set ${set} from json_populate_record(${rowType(t)}, ${patch}::text::json) _r${whereSql(plan.filters, params)} returning t0.*`;
}

function deleteSql(plan: DeletePlan, params: Params): string {
  const t = plan.table;
  return `delete from ${qualified(t.schema, t.name)} as t0${whereSql(plan.filters, params)} returning t0.*`;
}

export interface WriteCompileOptions {
  format: BodyFormat;
  /** Add a `loc` column: the single-column primary key of the first written row (Location header). */
  location?: Column | undefined;
}

/** One statement: `with _w as (<write>) select total, page_total, body, next[, loc]`. */
export function compileWrite(plan: WritePlan, options: WriteCompileOptions): Statement {
  const params = new Params();
  let write: string;
  switch (plan.kind) {
    case 'insert': write = insertSql(plan, params); break;
    case 'update': write = updateSql(plan, params); break;
    case 'delete': write = deleteSql(plan, params); break;
  }
  let read: string;
  if (plan.returning && options.format !== 'none') {
    read = compileRead(plan.returning, { source: { kind: 'cte', name: CTE }, format: options.format, estimatedThreshold: 0 }, params).text;
  } else {
    read = `select null::bigint as total, count(*)::int as page_total, null::text as body, null::text as next from ${CTE}`;
  }
  const loc = options.location ? `, (select to_json(${CTE}.${quoteIdent(options.location.name)}) #>> '{}' from ${CTE} limit 1) as loc` : '';
  return { text: `with ${CTE} as (${write}) select _out.*${loc} from (${read}) _out`, values: params.values };
}
