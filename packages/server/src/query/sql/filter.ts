// Planned filter trees → SQL boolean expressions. The planner (plan/filter.ts) resolved
// every column, checked JSON paths and normalized values, so this module only emits SQL:
// identifiers are quoted, every value is a bound parameter, and the statement text does
// not depend on list sizes (`= ANY($n::text[]::type[])`). Values are bound as text and
// cast in SQL (see textParam).
import type { Column } from '../../db/index.ts';
import type { JsonPathStep } from '../ast.ts';
import type { PlannedEmbed, PlannedFilter, PlannedLeaf } from '../plan/types.ts';
import { quoteIdent, quoteLiteral, type Params } from './fragments.ts';

const MAX_INDEX = 2 ** 31 - 1;
const PLAIN_ALIAS = /^[a-z_][a-z0-9_]*$/;

function jsonStep(step: JsonPathStep): string {
  if (/^-?\d+$/.test(step.key) && Math.abs(Number(step.key)) <= MAX_INDEX) {
    const n = Number(step.key);
    return `${step.op}${n < 0 ? `(${n})` : n}`;
  }
  return `${step.op}${quoteLiteral(step.key)}`;
}

/** `alias."column"->'key'…`: a planned column (and checked JSON path) of the table under `alias`. */
export function fieldSql(alias: string, column: Column, path: readonly JsonPathStep[]): string {
  const prefix = PLAIN_ALIAS.test(alias) ? alias : quoteIdent(alias);
  return `${prefix}.${quoteIdent(column.name)}${path.map(jsonStep).join('')}`;
}

const COMPARE_SQL = {
  eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=', isdistinct: 'IS DISTINCT FROM',
  cs: '@>', cd: '<@', ov: '&&', sl: '<<', sr: '>>', nxr: '&<', nxl: '&>', adj: '-|-',
} as const;
const PATTERN_SQL = { like: 'LIKE', ilike: 'ILIKE', match: '~', imatch: '~*' } as const;
const isPattern = (op: string): op is keyof typeof PATTERN_SQL => op in PATTERN_SQL;
const FTS_FN = { fts: 'to_tsquery', plfts: 'plainto_tsquery', phfts: 'phraseto_tsquery', wfts: 'websearch_to_tsquery' } as const;
const GEO_FN = {
  st_intersects: 'ST_Intersects', st_contains: 'ST_Contains', st_within: 'ST_Within', st_touches: 'ST_Touches',
  st_crosses: 'ST_Crosses', st_overlaps: 'ST_Overlaps',
} as const;

/** Pattern operators work on text; other types are matched on their text form. */
function textExpr(leaf: PlannedLeaf, sql: string): string {
  return leaf.type === 'text' || (leaf.path.length === 0 && leaf.column.category === 'S' && !leaf.isArray) ? sql : `(${sql})::text`;
}

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

function unplanned(operation: never): never {
  throw new Error(`unplanned filter operation ${JSON.stringify(operation)}`);
}

function leafSql(leaf: PlannedLeaf, alias: string, params: Params): string {
  const o = leaf.operation;
  const field = fieldSql(alias, leaf.column, leaf.path);
  // json has no comparison operators; compare as jsonb.
  const value = leaf.asJsonb ? `(${field})::jsonb` : field;
  switch (o.kind) {
    case 'compare':
      return `${value} ${COMPARE_SQL[o.op]} ${textParam(params, o.value, leaf.type)}`;
    case 'pattern':
      return `${textExpr(leaf, field)} ${PATTERN_SQL[o.op]} ${textParam(params, o.value, 'text')}`;
    case 'quantified': {
      const q = o.quantifier.toUpperCase();
      if (isPattern(o.op)) return `${textExpr(leaf, field)} ${PATTERN_SQL[o.op]} ${q}(${textParam(params, o.values, 'text')})`;
      return `${value} ${COMPARE_SQL[o.op]} ${q}(${textParam(params, o.values, leaf.type)})`;
    }
    case 'in':
      return `${value} = ANY(${textParam(params, o.values, leaf.type)})`;
    case 'is':
      return `${field} IS ${o.value.toUpperCase()}`;
    case 'fts': {
      const lang = o.language !== undefined ? `${textParam(params, o.language, 'regconfig')}, ` : '';
      const isTsvector = leaf.path.length === 0 && leaf.column.udtName === 'tsvector';
      const doc = isTsvector ? field : `to_tsvector(${lang}${leaf.type === 'jsonb' ? field : textExpr(leaf, field)})`;
      return `${doc} @@ ${FTS_FN[o.op]}(${lang}${textParam(params, o.value, 'text')})`;
    }
    case 'geo': {
      const geography = leaf.column.udtName === 'geography' ? '::geography' : '';
      return `${GEO_FN[o.op]}(${field}, ST_GeomFromGeoJSON(${textParam(params, o.shape, 'text')})${geography})`;
    }
    case 'dwithin': {
      const geography = leaf.column.udtName === 'geography' ? '::geography' : '';
      const shape = textParam(params, o.shape, 'text');
      const distance = textParam(params, o.distance, 'double precision');
      return `ST_DWithin(${field}, ST_GeomFromGeoJSON(${shape})${geography}, ${distance})`;
    }
    default:
      return unplanned(o);
  }
}

/** SQL that is TRUE when an embed has a row (the read compiler's lateral join); reads only. */
export type EmbedExists = (embed: PlannedEmbed) => string;

const noEmbeds: EmbedExists = (embed) => {
  throw new Error(`the embed filter on ${JSON.stringify(embed.name)} compiles only inside a read`);
};

/** SQL for a planned filter tree over the table under `alias`; values become parameters in `params`. */
export function compileFilter(node: PlannedFilter, alias: string, params: Params, embedExists: EmbedExists = noEmbeds): string {
  switch (node.kind) {
    case 'filter': {
      const sql = leafSql(node, alias, params);
      return node.negated ? `NOT (${sql})` : sql;
    }
    case 'embed':
      return node.exists ? `(${embedExists(node.embed)})` : `NOT (${embedExists(node.embed)})`;
    case 'and': case 'or': {
      if (node.children.length === 0) return (node.kind === 'and') !== node.negated ? 'TRUE' : 'FALSE';
      const inner = node.children.map((c) => compileFilter(c, alias, params, embedExists)).join(node.kind === 'and' ? ' AND ' : ' OR ');
      return node.negated ? `NOT (${inner})` : `(${inner})`;
    }
  }
}
