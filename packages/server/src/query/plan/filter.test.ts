// planFilter: what a filter leaf becomes once checked against its table (the resolved
// column, the type values are bound as, normalized values), and the errors that used to
// come from the SQL compiler (unknown columns, JSON paths) or from checkFilterValues.
import { describe, expect, it } from 'vitest';
import { col } from '../column-fixture.ts';
import type { Relationship, Table } from '../../db/index.ts';
import type { FilterNode } from '../ast.ts';
import { QueryError } from '../errors.ts';
import { parseQueryString } from '../parse/query-string.ts';
import { planFilter, type PlanFilterOptions } from './filter.ts';
import type { PlannedEmbed, PlannedFilter, PlannedLeaf } from './types.ts';

const columns = [
  col('id', 'integer', 'int4', 'N'), col('name', 'text', 'text', 'S'), col('code', 'character varying(3)', 'varchar', 'S'),
  col('tags', 'text[]', '_text', 'A', { elementType: 'text' }), col('data', 'jsonb', 'jsonb', 'U'), col('doc', 'json', 'json', 'U'),
  col('geom', 'geometry', 'geometry', 'U', { udtSchema: 'public' }), col('author', 'text', 'text', 'S'),
];
const table: Table = {
  schema: 'public', name: 'items', kind: 'table', columns, columnMap: new Map(columns.map((c) => [c.name, c])), primaryKey: ['id'],
  uniqueKeys: [['id']], indexes: [], insertable: true, updatable: true, deletable: true, rlsEnabled: false, estimatedRows: -1, comment: null,
};

function embed(name: string): PlannedEmbed {
  const relationship: Relationship = {
    kind: 'many_to_one', constraint: `${name}_fkey`,
    source: { schema: 'public', table: 'items', columns: [`${name}_id`] }, target: { schema: 'public', table: 'people', columns: ['id'] },
  };
  const node = { table, alias: 't1', items: [], filters: [], order: [], groupBy: null, embeds: new Map() };
  return { kind: 'embed', key: name, name, relationship, toOne: true, join: 'left', spread: false, node };
}

function plan(query: string, options?: PlanFilterOptions): PlannedFilter {
  const filters = parseQueryString(query, { mount: 'fluxbase', aggregatesEnabled: true }).filters;
  return planFilter(table, filters[0]!.node, options);
}

function leaf(query: string): Omit<PlannedLeaf, 'column'> & { column: string } {
  const planned = plan(query);
  if (planned.kind !== 'filter') throw new Error(`not a leaf: ${query}`);
  return { ...planned, column: planned.column.name };
}

function planError(query: string, options?: PlanFilterOptions): QueryError {
  try {
    plan(query, options);
  } catch (err) {
    expect(err).toBeInstanceOf(QueryError);
    return err as QueryError;
  }
  throw new Error(`${query} was planned`);
}

describe('planFilter', () => {
  const leaves: [string, Partial<ReturnType<typeof leaf>>][] = [
    ['id=eq.5', { column: 'id', path: [], type: 'integer', asJsonb: false, isArray: false, operation: { kind: 'compare', op: 'eq', value: '5' } }],
    ['code=eq.abcdef', { type: '"pg_catalog"."varchar"', operation: { kind: 'compare', op: 'eq', value: 'abcdef' } }],
    ['tags=cs.(a,"b,c")', { type: 'text[]', isArray: true, operation: { kind: 'compare', op: 'cs', value: '{"a","b,c"}' } }],
    ['tags=eq(any).{"(a)",x}', { isArray: true, operation: { kind: 'quantified', op: 'eq', quantifier: 'any', values: ['{"a"}', 'x'] } }],
    ['tags=in.("(a)")', { isArray: true, operation: { kind: 'in', values: ['(a)'] } }],
    ['name=like.*a*', { type: 'text', operation: { kind: 'pattern', op: 'like', value: '%a%' } }],
    ['name=imatch(all).{^a*,b}', { operation: { kind: 'quantified', op: 'imatch', quantifier: 'all', values: ['^a*', 'b'] } }],
    ['name=ilike(any).{a*,*b}', { operation: { kind: 'quantified', op: 'ilike', quantifier: 'any', values: ['a%', '%b'] } }],
    ['data->a->>b=eq.x', { path: [{ op: '->', key: 'a' }, { op: '->>', key: 'b' }], type: 'text', asJsonb: false }],
    ['data->a=eq.1', { type: 'jsonb', asJsonb: false }],
    ['doc=eq.{}', { type: 'jsonb', asJsonb: true }],
    ['doc->a=in.(1)', { type: 'jsonb', asJsonb: true, operation: { kind: 'in', values: ['1'] } }],
    ['name=plfts(english).a b', { operation: { kind: 'fts', op: 'plfts', language: 'english', value: 'a b' } }],
    ['name=not.is.null', { negated: true, operation: { kind: 'is', value: 'null' } }],
    ['geom=st_within.{"type":"Point","coordinates":[1,2]}', { operation: { kind: 'geo', op: 'st_within', shape: '{"type":"Point","coordinates":[1,2]}' } }],
    ['geom=st_dwithin. 100.5 , {"type":"Point"}', { operation: { kind: 'dwithin', distance: '100.5', shape: '{"type":"Point"}' } }],
  ];

  it.each(leaves)('plans %s', (query, expected) => {
    expect(leaf(query)).toMatchObject(expected);
  });

  it('keeps the shape of and/or groups', () => {
    const planned = plan('not.or=(id.eq.1,and(name.eq.x))');
    expect(planned).toMatchObject({ kind: 'or', negated: true, children: [{ kind: 'filter' }, { kind: 'and', negated: false, children: [{ kind: 'filter' }] }] });
  });

  it('rejects unknown columns with the closest name', () => {
    const err = planError('nmae=eq.x');
    expect([err.code, err.message, err.details, err.hint]).toEqual([
      'UNKNOWN_COLUMN', 'Column "nmae" does not exist in "public.items"', { table: 'public.items', column: 'nmae' }, 'Perhaps you meant "name"',
    ]);
  });

  it('rejects JSON paths on non-JSON columns and ->> before the end', () => {
    expect([planError('name->a=eq.1').code, planError('name->a=eq.1').message]).toEqual(['INVALID_QUERY', 'Column "name" is text; a JSON path (->, ->>) needs a json or jsonb column']);
    expect(planError('data->>a->b=eq.1').details).toEqual({ column: 'data' });
    expect(planError('data->>a->b=eq.1').message).toMatch(/last step/);
  });

  it('checks comparison values against the column type', () => {
    const err = planError('or=(name.eq.x,id.in.(1,x))');
    expect([err.code, err.details, err.hint, err.pg]).toEqual([
      'INVALID_INPUT', { table: 'public.items', column: 'id', type: 'integer', value: 'x' }, 'For example ?id=in.(1)',
      { sqlstate: '22P02', message: 'invalid input syntax for type integer: "x"' },
    ]);
    expect(plan('data->a=eq.x')).toMatchObject({ kind: 'filter' }); // JSON paths compare jsonb or text
  });

  it('filters by an embed of the level with is.null / not.is.null only', () => {
    const embeds = new Map([['writer', embed('writer')], ['author', embed('author')]]);
    expect(plan('writer=is.null', { embeds })).toEqual({ kind: 'embed', embed: embeds.get('writer'), exists: false });
    expect(plan('writer=not.is.null', { embeds })).toEqual({ kind: 'embed', embed: embeds.get('writer'), exists: true });
    expect(planError('writer=eq.1', { embeds })).toMatchObject({ code: 'INVALID_FILTER', message: 'Only is.null / not.is.null can filter by the embedded resource "writer"' });
    // A column of the same name: is.null means the embed, anything else the column.
    expect(plan('author=is.null', { embeds })).toMatchObject({ kind: 'embed', exists: false });
    expect(plan('author=eq.x', { embeds })).toMatchObject({ kind: 'filter', column: { name: 'author' } });
    // Without embeds (writes) the name must be a column.
    expect(planError('writer=is.null').code).toBe('UNKNOWN_COLUMN');
  });

  it('plans empty groups', () => {
    const empty: FilterNode = { kind: 'and', negated: true, children: [] };
    expect(planFilter(table, empty)).toEqual({ kind: 'and', negated: true, children: [] });
  });
});
