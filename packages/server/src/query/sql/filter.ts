// Filter trees → SQL boolean expressions. Identifiers come from a FilterScope (which checks
// them against the schema and quotes them), every value is a bound parameter, and the
// statement text does not depend on list sizes (`= ANY($n::text[]::type[])`). Values are
// bound as text and cast in SQL (see textParam).
import type { Column, Table } from '../../db/index.ts';
import type { FieldRef, FilterLeaf, FilterNode, JsonPathStep } from '../ast.ts';
import { QueryError, quoteInput } from '../errors.ts';
import { normalizeArrayValue } from '../parse/array-literal.ts';
import { closestName } from '../suggest.ts';
import { quoteIdent, quoteLiteral, type Params } from './fragments.ts';

export interface FieldSql {
  sql: string;
  /** SQL type text to cast parameters to, from the catalog, e.g. 'integer', 'text', 'jsonb', 'text[]' (typmods dropped). */
  type: string;
  column: Column;
  /** The expression is an array type. */
  isArray: boolean;
}

export interface FilterScope {
  /** Resolve a field to SQL; throws QueryError UNKNOWN_COLUMN (hint: closest name) for unknown columns. */
  field(ref: FieldRef): FieldSql;
  /** For `rel=is.null` / `rel=not.is.null`: SQL that is TRUE when the embed has a row; undefined when `name` is not an embed. */
  embedExists?(name: string): string | undefined;
}

const MAX_INDEX = 2 ** 31 - 1;

function jsonStep(step: JsonPathStep): string {
  if (/^-?\d+$/.test(step.key) && Math.abs(Number(step.key)) <= MAX_INDEX) {
    const n = Number(step.key);
    return `${step.op}${n < 0 ? `(${n})` : n}`;
  }
  return `${step.op}${quoteLiteral(step.key)}`;
}

/**
 * The type to cast a parameter to for a column: format_type text, except that a typmod
 * would change values (`numeric(10,2)` rounds, `character(5)` pads, `varchar(3)` cuts),
 * so such types are named by their catalog name without it.
 */
export function paramType(column: Column): string {
  return column.type.includes('(') ? `${quoteIdent(column.udtSchema)}.${quoteIdent(column.udtName)}` : column.type;
}

/** The default scope: the columns of one table under `alias`. */
export function tableScope(table: Table, alias: string): FilterScope {
  const prefix = /^[a-z_][a-z0-9_]*$/.test(alias) ? alias : quoteIdent(alias);
  return {
    field(ref) {
      const column = table.columnMap.get(ref.column);
      if (!column) {
        const closest = closestName(ref.column, table.columnMap.keys());
        throw new QueryError('UNKNOWN_COLUMN', `Column ${quoteInput(ref.column)} does not exist in ${quoteInput(`${table.schema}.${table.name}`)}`, {
          details: { table: `${table.schema}.${table.name}`, column: ref.column },
          hint: closest ? `Perhaps you meant ${quoteInput(closest)}` : undefined,
        });
      }
      const sql = `${prefix}.${quoteIdent(column.name)}`;
      if (ref.path.length === 0) return { sql, type: paramType(column), column, isArray: column.category === 'A' };
      if (column.udtName !== 'jsonb' && column.udtName !== 'json') {
        throw new QueryError('INVALID_QUERY', `Column ${quoteInput(column.name)} is ${column.type}; a JSON path (->, ->>) needs a json or jsonb column`, {
          details: { column: column.name, type: column.type },
        });
      }
      if (ref.path.slice(0, -1).some((s) => s.op === '->>')) {
        throw new QueryError('INVALID_QUERY', `In ${quoteInput(column.name)}, ->> yields text and must be the last step of a JSON path`, {
          details: { column: column.name },
        });
      }
      const last = ref.path[ref.path.length - 1] as JsonPathStep;
      const type = last.op === '->>' ? 'text' : column.udtName;
      return { sql: `${sql}${ref.path.map(jsonStep).join('')}`, type, column, isArray: false };
    },
  };
}

const COMPARE_SQL = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;
const PATTERN_SQL = { like: 'LIKE', ilike: 'ILIKE', match: '~', imatch: '~*' } as const;
const RANGE_SQL = { cs: '@>', cd: '<@', ov: '&&', sl: '<<', sr: '>>', nxr: '&<', nxl: '&>', adj: '-|-' } as const;
const FTS_FN = { fts: 'to_tsquery', plfts: 'plainto_tsquery', phfts: 'phraseto_tsquery', wfts: 'websearch_to_tsquery' } as const;
const GEO_FN = {
  st_intersects: 'ST_Intersects', st_contains: 'ST_Contains', st_within: 'ST_Within', st_touches: 'ST_Touches',
  st_crosses: 'ST_Crosses', st_overlaps: 'ST_Overlaps', st_dwithin: 'ST_DWithin',
} as const;

/** json has no comparison operators; compare as jsonb. */
function valueExpr(f: FieldSql): { sql: string; type: string } {
  return f.type === 'json' ? { sql: `(${f.sql})::jsonb`, type: 'jsonb' } : { sql: f.sql, type: f.type };
}

/** Pattern operators work on text; other types are matched on their text form. */
function textExpr(f: FieldSql): string {
  const pathless = f.type === paramType(f.column);
  return f.type === 'text' || (pathless && f.column.category === 'S' && !f.isArray) ? f.sql : `(${f.sql})::text`;
}

const likePattern = (v: string): string => v.replaceAll('*', '%');

/**
 * A value parameter of a given type. It is always bound as text and converted by SQL,
 * because drivers serialize by the parameter's described type: postgres.js would
 * JSON-encode a string bound as jsonb, send 'f' for the text 'true' bound as boolean,
 * and pass timestamps through Date (losing microseconds).
 */
export function textParam(params: Params, value: string | readonly string[], type: string): string {
  if (typeof value !== 'string') return `${params.add(value)}::text[]${type === 'text' ? '' : `::${type}[]`}`;
  return `${params.add(value)}::text${type === 'text' ? '' : `::${type}`}`;
}

function ftsSql(leaf: FilterLeaf & { operation: { op: keyof typeof FTS_FN } }, f: FieldSql, params: Params): string {
  const o = leaf.operation as { op: keyof typeof FTS_FN; language?: string; value: string };
  const lang = o.language !== undefined ? `${textParam(params, o.language, 'regconfig')}, ` : '';
  const isTsvector = f.type === paramType(f.column) && f.column.udtName === 'tsvector';
  const doc = isTsvector ? f.sql : `to_tsvector(${lang}${f.type === 'json' || f.type === 'jsonb' ? f.sql : textExpr(f)})`;
  return `${doc} @@ ${FTS_FN[o.op]}(${lang}${textParam(params, o.value, 'text')})`;
}

function geoSql(op: keyof typeof GEO_FN, value: string, f: FieldSql, params: Params): string {
  const geography = f.column.udtName === 'geography' ? '::geography' : '';
  if (op === 'st_dwithin') {
    const comma = value.indexOf(',');
    const shape = textParam(params, value.slice(comma + 1).trim(), 'text');
    const distance = textParam(params, value.slice(0, comma).trim(), 'double precision');
    return `ST_DWithin(${f.sql}, ST_GeomFromGeoJSON(${shape})${geography}, ${distance})`;
  }
  return `${GEO_FN[op]}(${f.sql}, ST_GeomFromGeoJSON(${textParam(params, value, 'text')})${geography})`;
}

function leafSql(leaf: FilterLeaf, scope: FilterScope, params: Params): string {
  const o = leaf.operation;
  const f = scope.field(leaf.field);
  const v = valueExpr(f);
  const single = (value: string): string => (f.isArray ? normalizeArrayValue(value) : value);
  if (o.op === 'in') return `${v.sql} = ANY(${textParam(params, o.values, v.type)})`;
  if ('quantifier' in o) {
    const q = o.quantifier.toUpperCase();
    if (o.op in PATTERN_SQL) {
      const op = o.op as keyof typeof PATTERN_SQL;
      const values = op === 'like' || op === 'ilike' ? o.values.map(likePattern) : o.values;
      return `${textExpr(f)} ${PATTERN_SQL[op]} ${q}(${textParam(params, values, 'text')})`;
    }
    return `${v.sql} ${COMPARE_SQL[o.op as keyof typeof COMPARE_SQL]} ${q}(${textParam(params, o.values.map(single), v.type)})`;
  }
  switch (o.op) {
    case 'eq': case 'neq': case 'gt': case 'gte': case 'lt': case 'lte':
      return `${v.sql} ${COMPARE_SQL[o.op]} ${textParam(params, single(o.value), v.type)}`;
    case 'isdistinct':
      return `${v.sql} IS DISTINCT FROM ${textParam(params, single(o.value), v.type)}`;
    case 'like': case 'ilike':
      return `${textExpr(f)} ${PATTERN_SQL[o.op]} ${textParam(params, likePattern(o.value), 'text')}`;
    case 'match': case 'imatch':
      return `${textExpr(f)} ${PATTERN_SQL[o.op]} ${textParam(params, o.value, 'text')}`;
    case 'cs': case 'cd': case 'ov': case 'sl': case 'sr': case 'nxr': case 'nxl': case 'adj':
      return `${v.sql} ${RANGE_SQL[o.op]} ${textParam(params, single(o.value), v.type)}`;
    case 'is':
      return `${f.sql} IS ${o.value.toUpperCase()}`;
    case 'fts': case 'plfts': case 'phfts': case 'wfts':
      return ftsSql(leaf as FilterLeaf & { operation: { op: typeof o.op } }, f, params);
    default:
      return geoSql(o.op, o.value, f, params);
  }
}

function embedSql(leaf: FilterLeaf, scope: FilterScope): string | undefined {
  const o = leaf.operation;
  if (o.op !== 'is' || o.value !== 'null' || leaf.field.path.length > 0 || !scope.embedExists) return undefined;
  const exists = scope.embedExists(leaf.field.column);
  if (exists === undefined) return undefined;
  return leaf.negated ? `(${exists})` : `NOT (${exists})`;
}

/** SQL for a filter tree; values become parameters in `params`. */
export function compileFilter(node: FilterNode, scope: FilterScope, params: Params): string {
  if (node.kind === 'filter') {
    const embed = embedSql(node, scope);
    if (embed !== undefined) return embed;
    const sql = leafSql(node, scope, params);
    return node.negated ? `NOT (${sql})` : sql;
  }
  if (node.children.length === 0) return (node.kind === 'and') !== node.negated ? 'TRUE' : 'FALSE';
  const inner = node.children.map((c) => compileFilter(c, scope, params)).join(node.kind === 'and' ? ' AND ' : ' OR ');
  return node.negated ? `NOT (${inner})` : `(${inner})`;
}
