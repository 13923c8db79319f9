// Compiles a ReadPlan into ONE statement whose single row carries the response: the JSON
// (or CSV) body built inside PostgreSQL, the page size, the total when counted, and the
// next cursor. Embeds are lateral subqueries: to-one → a row object (or its spread
// columns), to-many → json_agg. Values are parameters; identifiers come from the plan.
import type { Column } from '../../db/index.ts';
import type { CursorPlan, PlannedEmbed, PlannedItem, PlannedOrder, ReadNode, ReadPlan, RootSource } from '../plan/types.ts';
import { compileFilter, fieldSql } from './filter.ts';
import { Params, qualified, quoteIdent, type Statement } from './fragments.ts';

export type BodyFormat = 'json' | 'csv' | 'none';

export interface ReadCompileOptions {
  source?: RootSource;
  format: BodyFormat;
  /** `count=estimated`: count exactly up to this many rows (the caller asks the planner beyond). */
  estimatedThreshold: number;
  /** Lock the root rows (`for update of t0`): If-Match checks before a write. */
  lock?: boolean;
  /** `Accept: …;nulls=stripped`: drop null-valued keys from the JSON body. */
  stripNulls?: boolean;
}

/** Columns of the statement's single result row. */
export interface ReadResultRow {
  total: string | number | null;
  page_total: number;
  body: string | null;
  next: string | null;
}

interface Built {
  params: Params;
  /** Hidden order columns the parent needs from each to-one embed. */
  hidden: Map<PlannedEmbed, { name: string; term: PlannedOrder }[]>;
}

function sourceSql(node: ReadNode, source: RootSource | undefined): string {
  if (!source || source.kind === 'table') return `${qualified(node.table.schema, node.table.name)} ${node.alias}`;
  if (source.kind === 'cte') return `${quoteIdent(source.name)} ${node.alias}`;
  return `${qualified(source.fn.schema, source.fn.name)}(${source.argsSql}) ${node.alias}`;
}

const lateralAlias = (embed: PlannedEmbed) => `${embed.node.alias}_l`;

/** For `rel=is.null` / `rel=not.is.null`: TRUE when the embed's lateral join found a row. */
const embedExists = (embed: PlannedEmbed) => `${lateralAlias(embed)}.__x is not null`;

function isGeometry(column: Column): boolean {
  return column.udtName === 'geometry' || column.udtName === 'geography';
}

function columnExpr(node: ReadNode, item: Extract<PlannedItem, { kind: 'column' }>, params: Params, truncate: number | undefined): string {
  let expr = fieldSql(node.alias, item.column, item.path);
  if (item.path.length === 0 && isGeometry(item.column) && !item.cast && !item.aggregate) expr = `st_asgeojson(${expr})::json`;
  if (item.cast) expr = `(${expr})::${item.cast}`;
  if (item.aggregate) expr = `${item.aggregate}(${expr})`;
  if (item.aggregateCast) expr = `(${expr})::${item.aggregateCast}`;
  if (truncate !== undefined && !item.aggregate && !item.cast && item.path.length === 0 && item.column.category === 'S') {
    const n = params.add(truncate);
    expr = `case when length(${expr}) > ${n}::int then left(${expr}, ${n}::int) || '... (' || length(${expr}) || ' chars)' else ${expr} end`;
  }
  return expr;
}

/** `expr as "key"` entries a level shows, in select order (spread embeds inlined). */
function visible(node: ReadNode, b: Built, truncate: number | undefined): string[] {
  const out: string[] = [];
  for (const item of node.items) {
    if (item.kind === 'column') out.push(`${columnExpr(node, item, b.params, truncate)} as ${quoteIdent(item.key)}`);
    else if (item.kind === 'count') out.push(`${item.cast ? `count(*)::${item.cast}` : 'count(*)'} as ${quoteIdent(item.key)}`);
    else {
      const l = lateralAlias(item);
      if (!item.spread) {
        out.push(item.toOne ? `${l}.j as ${quoteIdent(item.key)}` : `coalesce(${l}.j, '[]'::json) as ${quoteIdent(item.key)}`);
      } else {
        for (const key of outputKeys(item.node)) {
          out.push(item.toOne ? `${l}.${quoteIdent(key)} as ${quoteIdent(key)}` : `coalesce(${l}.${quoteIdent(key)}, '[]'::json) as ${quoteIdent(key)}`);
        }
      }
    }
  }
  return out;
}

function outputKeys(node: ReadNode): string[] {
  const keys: string[] = [];
  for (const item of node.items) {
    if (item.kind === 'embed' && item.spread) keys.push(...outputKeys(item.node));
    else keys.push(item.key);
  }
  return keys;
}

function orderExpr(node: ReadNode, term: PlannedOrder, b: Built): string {
  let expr: string;
  if (term.embed) {
    const list = b.hidden.get(term.embed) ?? [];
    const name = `__o${list.length}`;
    list.push({ name, term });
    b.hidden.set(term.embed, list);
    expr = `${lateralAlias(term.embed)}.${name}`;
  } else {
    expr = fieldSql(node.alias, term.column, term.path);
    if (term.vector) {
      const op = term.vector.op === 'vec_l2' ? '<->' : term.vector.op === 'vec_cos' ? '<=>' : '<#>';
      expr = `${expr} ${op} ${b.params.add(`[${term.vector.value.join(',')}]`)}::text::vector`;
    }
  }
  return `${expr} ${term.direction}${term.nulls ? ` nulls ${term.nulls}` : ''}`;
}

function joinCondition(embed: PlannedEmbed, parent: ReadNode): string {
  const rel = embed.relationship;
  const child = embed.node.alias;
  if (rel.junction) {
    const j = rel.junction;
    const conds = [
      ...j.targetColumns.map((c, i) => `_j.${quoteIdent(c)} = ${child}.${quoteIdent(rel.target.columns[i]!)}`),
      ...j.sourceColumns.map((c, i) => `_j.${quoteIdent(c)} = ${parent.alias}.${quoteIdent(rel.source.columns[i]!)}`),
    ];
    return `exists (select 1 from ${qualified(j.schema, j.table)} _j where ${conds.join(' and ')})`;
  }
  return rel.target.columns.map((c, i) => `${child}.${quoteIdent(c)} = ${parent.alias}.${quoteIdent(rel.source.columns[i]!)}`).join(' and ');
}

interface LevelSql {
  from: string;
  where: string[];
  groupBy: string;
  orderBy: string;
}

/** FROM (with laterals), WHERE, GROUP BY and ORDER BY of a level; laterals are built after ORDER BY so hidden order columns are known. */
function level(node: ReadNode, b: Built, from: string, extraWhere: string[], truncate: number | undefined): LevelSql & { select: string[] } {
  const select = visible(node, b, truncate);
  const where = [...extraWhere, ...node.filters.map((f) => compileFilter(f, node.alias, b.params, embedExists))];
  const orderBy = node.order.map((t) => orderExpr(node, t, b));
  const laterals: string[] = [];
  for (const item of node.items) {
    if (item.kind !== 'embed') continue;
    laterals.push(`left join lateral (${embedSql(item, node, b, truncate)}) ${lateralAlias(item)} on true`);
    if (item.join === 'inner') where.push(`${lateralAlias(item)}.__x is not null`);
  }
  const groupBy = node.groupBy && node.groupBy.length > 0
    ? ` group by ${node.groupBy.map((c) => `${node.alias}.${quoteIdent(c.name)}`).join(', ')}`
    : '';
  return {
    select,
    from: [from, ...laterals].join(' '),
    where,
    groupBy,
    orderBy: orderBy.length > 0 ? ` order by ${orderBy.join(', ')}` : '',
  };
}

function whereSql(where: string[]): string {
  return where.length > 0 ? ` where ${where.join(' and ')}` : '';
}

function pageSql(node: ReadNode, params: Params): string {
  let s = '';
  if (node.limit !== undefined) s += ` limit ${params.add(node.limit)}::bigint`;
  if (node.offset !== undefined && node.offset > 0) s += ` offset ${params.add(node.offset)}::bigint`;
  return s;
}

function embedSql(embed: PlannedEmbed, parent: ReadNode, b: Built, truncate: number | undefined): string {
  const child = embed.node;
  const from = `${qualified(child.table.schema, child.table.name)} ${child.alias}`;
  const lv = level(child, b, from, [joinCondition(embed, parent)], truncate);
  const inner = `select ${lv.select.length > 0 ? lv.select.join(', ') : 'null as "?"'} from ${lv.from}${whereSql(lv.where)}${lv.groupBy}${lv.orderBy}${pageSql(child, b.params)}`;
  if (!embed.toOne) {
    if (embed.spread) {
      const cols = outputKeys(child).map((k) => `json_agg(_e.${quoteIdent(k)}) as ${quoteIdent(k)}`);
      return `select ${[...cols, 'bool_or(true) as __x'].join(', ')} from (${inner}) _e`;
    }
    return `select json_agg(_e) as j, bool_or(true) as __x from (${inner}) _e`;
  }
  // To-one: one row (or none). Hidden order columns for the parent ride along.
  const hidden = (b.hidden.get(embed) ?? []).map((h) => `${fieldSql(child.alias, h.term.column, h.term.path)} as ${h.name}`);
  const shown = embed.spread ? lv.select : [`(select row_to_json(_x) from (select ${lv.select.join(', ')}) _x) as j`];
  return `select ${[...shown, 'true as __x', ...hidden].join(', ')} from ${lv.from}${whereSql(lv.where)}${lv.groupBy}${lv.orderBy}`;
}

function cursorParts(cursor: CursorPlan, root: ReadNode, params: Params): { where: string[]; order: string; value: string } {
  const cols = [cursor.column, ...cursor.primaryKey];
  const dir = cursor.desc ? 'desc' : 'asc';
  const where: string[] = [];
  if (cursor.after) {
    const values = [cursor.after.value, ...cursor.after.key];
    const left = cols.map((c) => `${root.alias}.${quoteIdent(c.name)}`).join(', ');
    const right = cols.map((c, i) => `${params.add(toText(values[i]))}::text::${c.type}`).join(', ');
    where.push(`(${left}) ${cursor.desc ? '<' : '>'} (${right})`);
  }
  return {
    where,
    order: cols.map((c) => `${root.alias}.${quoteIdent(c.name)} ${dir}`).join(', '),
    value: `json_build_array(${cols.map((c) => `to_json(${root.alias}.${quoteIdent(c.name)})`).join(', ')})::text`,
  };
}

function toText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `params` lets a caller (the write compiler) continue its own numbering. */
export function compileRead(plan: ReadPlan, options: ReadCompileOptions, params: Params = new Params()): Statement {
  const b: Built = { params, hidden: new Map() };
  const root = plan.root;
  const from = sourceSql(root, options.source);
  const cursor = plan.cursor ? cursorParts(plan.cursor, root, b.params) : undefined;
  const lv = level(root, b, from, cursor?.where ?? [], plan.truncate);
  const select = lv.select.length > 0 ? lv.select : ['null as "?"'];

  let total = 'null::bigint';
  if (plan.count) {
    const innerJoins = lv.from; // laterals are cheap to keep; inner-join conditions need them
    const countSource = `select 1 from ${innerJoins}${whereSql(lv.where)}${lv.groupBy}`;
    total = plan.count === 'estimated'
      ? `(select count(*) from (${countSource} limit ${b.params.add(options.estimatedThreshold + 1)}::bigint) _c)`
      : plan.count === 'exact' ? `(select count(*) from (${countSource}) _c)` : 'null::bigint';
  }

  if (cursor) {
    const limit = root.limit ?? 1000;
    const n = b.params.add(limit);
    const rowJson = `(select row_to_json(_x) from (select ${select.join(', ')}) _x) as j`;
    const page = `select ${rowJson}, ${cursor.value} as __cv, row_number() over (order by ${cursor.order}) as __rn from ${lv.from}${whereSql(lv.where)} order by ${cursor.order} limit ${n}::bigint + 1`;
    const body = options.format === 'none' ? 'null::text' : `coalesce(json_agg(_p.j order by _p.__rn) filter (where _p.__rn <= ${n}::bigint), '[]')::text`;
    return {
      text: `select ${total} as total, least(count(*), ${n}::bigint)::int as page_total, ${body} as body, case when count(*) > ${n}::bigint then max(_p.__cv) filter (where _p.__rn = ${n}::bigint) end as next from (${page}) _p`,
      values: b.params.values,
    };
  }

  const lock = options.lock ? ` for update of ${root.alias}` : '';
  const page = `select ${select.join(', ')} from ${lv.from}${whereSql(lv.where)}${lv.groupBy}${lv.orderBy}${pageSql(root, b.params)}${lock}`;
  const body = options.format === 'json'
    ? options.stripNulls ? `json_strip_nulls(coalesce(json_agg(_p), '[]'))::text` : `coalesce(json_agg(_p), '[]')::text`
    : options.format === 'csv'
      ? `coalesce(string_agg(substring(_p::text, 2, length(_p::text) - 2), E'\\n'), '')`
      : 'null::text';
  return {
    text: `select ${total} as total, count(*)::int as page_total, ${body} as body, null::text as next from (${page}) _p`,
    values: b.params.values,
  };
}

/** `explain` of the count source, for `count=planned` (and `estimated` past the threshold). */
export function compileCountEstimate(plan: ReadPlan, source?: RootSource): Statement {
  const b: Built = { params: new Params(), hidden: new Map() };
  const root = plan.root;
  const lv = level(root, b, sourceSql(root, source), [], undefined);
  return { text: `explain (format json) select 1 from ${lv.from}${whereSql(lv.where)}${lv.groupBy}`, values: b.params.values };
}

/** Output keys of the root level (the CSV header). */
export function rootKeys(plan: ReadPlan): string[] {
  return outputKeys(plan.root);
}

