// compileFilter's SQL for every operator, its parameters, and the guarantee that user
// input only ever reaches SQL as a $n parameter, a quoted identifier or a quoted JSON key.
// Filters are parsed and planned first (plan/filter.ts), as the REST routes do.
import { describe, expect, it } from 'vitest';
import { col } from '../column-fixture.ts';
import type { Relationship, Table } from '../../db/index.ts';
import type { FilterNode } from '../ast.ts';
import { QueryError } from '../errors.ts';
import { parseQueryString } from '../parse/query-string.ts';
import { planFilter } from '../plan/filter.ts';
import type { PlannedEmbed } from '../plan/types.ts';
import { compileFilter, type EmbedExists } from './filter.ts';
import { Params } from './fragments.ts';

const columns = [
  col('id', 'integer', 'int4', 'N'), col('name', 'text', 'text', 'S'), col('code', 'character varying(3)', 'varchar', 'S'),
  col('price', 'numeric(10,2)', 'numeric', 'N'), col('tags', 'text[]', '_text', 'A', { elementType: 'text' }),
  col('data', 'jsonb', 'jsonb', 'U'), col('doc', 'json', 'json', 'U'), col('fts', 'tsvector', 'tsvector', 'U'),
  col('during', 'tstzrange', 'tstzrange', 'R'), col('geom', 'geometry', 'geometry', 'U', { udtSchema: 'public' }),
  col('geog', 'geography', 'geography', 'U', { udtSchema: 'public' }), col('my "col"', 'text', 'text', 'S'), col('ok', 'boolean', 'bool', 'B'),
];
const table: Table = {
  schema: 'public', name: 'items', kind: 'table', columns, columnMap: new Map(columns.map((c) => [c.name, c])), primaryKey: ['id'],
  uniqueKeys: [['id']], indexes: [], insertable: true, updatable: true, deletable: true, rlsEnabled: false, estimatedRows: -1, comment: null,
};

/** A to-one embed `name` of the level, whose lateral join the read compiler calls `<alias>_l`. */
function embed(name: string, alias: string): PlannedEmbed {
  const relationship: Relationship = {
    kind: 'many_to_one', constraint: `${name}_fkey`,
    source: { schema: 'public', table: 'items', columns: [`${name}_id`] }, target: { schema: 'public', table: name, columns: ['id'] },
  };
  const node = { table, alias, items: [], filters: [], order: [], groupBy: null, embeds: new Map() };
  return { kind: 'embed', key: name, name, relationship, toOne: true, join: 'left', spread: false, node };
}

/** Values are not type-checked (checkValues: false), so hostile ones reach the compiler. */
function compile(query: string, embeds?: ReadonlyMap<string, PlannedEmbed>, embedExists?: EmbedExists): { sql: string; values: unknown[] } {
  const params = new Params();
  const parts = parseQueryString(query, { mount: 'fluxbase', aggregatesEnabled: true }).filters
    .map((f) => compileFilter(planFilter(table, f.node, { checkValues: false, embeds }), 't0', params, embedExists));
  return { sql: parts.join(' AND '), values: params.values };
}

const cases: [string, string, unknown[]][] = [
  ['id=eq.5', 't0."id" = $1::text::integer', ['5']],
  ['id=neq.5', 't0."id" <> $1::text::integer', ['5']],
  ['id=gt.5&id=gte.5&id=lt.5&id=lte.5', 't0."id" > $1::text::integer AND t0."id" >= $2::text::integer AND t0."id" < $3::text::integer AND t0."id" <= $4::text::integer', ['5', '5', '5', '5']],
  ['name=eq.x', 't0."name" = $1::text', ['x']],
  ['code=eq.abcdef', 't0."code" = $1::text::"pg_catalog"."varchar"', ['abcdef']],
  ['price=gt.1.239', 't0."price" > $1::text::"pg_catalog"."numeric"', ['1.239']],
  ['name=like.*a_b%25', 't0."name" LIKE $1::text', ['%a_b%']],
  ['name=ilike.A*', 't0."name" ILIKE $1::text', ['A%']],
  ['name=match.^a', 't0."name" ~ $1::text', ['^a']],
  ['name=imatch.^a', 't0."name" ~* $1::text', ['^a']],
  ['id=like.1*', '(t0."id")::text LIKE $1::text', ['1%']],
  ['name=isdistinct.x', 't0."name" IS DISTINCT FROM $1::text', ['x']],
  ['id=in.(1,2,3)', 't0."id" = ANY($1::text[]::integer[])', [['1', '2', '3']]],
  ['id=not.in.()', 'NOT (t0."id" = ANY($1::text[]::integer[]))', [[]]],
  ['name=in.("a,b",c)', 't0."name" = ANY($1::text[])', [['a,b', 'c']]],
  ['ok=is.true&ok=is.false&ok=is.unknown&name=is.null', 't0."ok" IS TRUE AND t0."ok" IS FALSE AND t0."ok" IS UNKNOWN AND t0."name" IS NULL', []],
  ['name=not.is.null', 'NOT (t0."name" IS NULL)', []],
  ['tags=cs.{a,b}', 't0."tags" @> $1::text::text[]', ['{a,b}']],
  ['tags=cs.(a,"b,c")', 't0."tags" @> $1::text::text[]', ['{"a","b,c"}']],
  ['tags=cd.["a","b"]', 't0."tags" <@ $1::text::text[]', ['{"a","b"}']],
  ['tags=ov.{a}', 't0."tags" && $1::text::text[]', ['{a}']],
  ['tags=eq.(a,b)', 't0."tags" = $1::text::text[]', ['{"a","b"}']],
  ['data=cs.{"a":1}', 't0."data" @> $1::text::jsonb', ['{"a":1}']],
  ['during=ov.[2024-01-01,2024-02-01)', 't0."during" && $1::text::tstzrange', ['[2024-01-01,2024-02-01)']],
  ['during=sl.[1,2)&during=sr.[1,2)&during=nxr.[1,2)&during=nxl.[1,2)&during=adj.[1,2)',
    't0."during" << $1::text::tstzrange AND t0."during" >> $2::text::tstzrange AND t0."during" &< $3::text::tstzrange AND t0."during" &> $4::text::tstzrange AND t0."during" -|- $5::text::tstzrange',
    ['[1,2)', '[1,2)', '[1,2)', '[1,2)', '[1,2)']],
  ['data->a->>b=eq.x', 't0."data"->\'a\'->>\'b\' = $1::text', ['x']],
  ['data->0->-1=eq.1', 't0."data"->0->(-1) = $1::text::jsonb', ['1']],
  ['data->a=in.(1,"x")', 't0."data"->\'a\' = ANY($1::text[]::jsonb[])', [['1', 'x']]],
  ['doc->a=eq.1', '(t0."doc"->\'a\')::jsonb = $1::text::jsonb', ['1']],
  ['name=like(any).{a*,b*}', 't0."name" LIKE ANY($1::text[])', [['a%', 'b%']]],
  ['name=imatch(all).{^a,b$}', 't0."name" ~* ALL($1::text[])', [['^a', 'b$']]],
  ['id=gt(any).{1,2}', 't0."id" > ANY($1::text[]::integer[])', [['1', '2']]],
  ['id=neq(all).{1}', 't0."id" <> ALL($1::text[]::integer[])', [['1']]],
  ['fts=fts.cat', 't0."fts" @@ to_tsquery($1::text)', ['cat']],
  ['fts=plfts(english).cat dog', 't0."fts" @@ plainto_tsquery($1::text::regconfig, $2::text)', ['english', 'cat dog']],
  ['name=phfts(english).a b', 'to_tsvector($1::text::regconfig, t0."name") @@ phraseto_tsquery($1::text::regconfig, $2::text)', ['english', 'a b']],
  ['data=wfts.x', 'to_tsvector(t0."data") @@ websearch_to_tsquery($1::text)', ['x']],
  ['id=fts.1', 'to_tsvector((t0."id")::text) @@ to_tsquery($1::text)', ['1']],
  ['geom=st_intersects.{"type":"Point","coordinates":[1,2]}', 'ST_Intersects(t0."geom", ST_GeomFromGeoJSON($1::text))', ['{"type":"Point","coordinates":[1,2]}']],
  ['geog=st_within.{"type":"Point","coordinates":[1,2]}', 'ST_Within(t0."geog", ST_GeomFromGeoJSON($1::text)::geography)', ['{"type":"Point","coordinates":[1,2]}']],
  ['geom=st_dwithin.100.5,{"type":"Point","coordinates":[1,2]}', 'ST_DWithin(t0."geom", ST_GeomFromGeoJSON($1::text), $2::text::double precision)', ['{"type":"Point","coordinates":[1,2]}', '100.5']],
  ['%22my%20%22%22col%22%22%22=eq.1', '', []],
  ['or=(id.eq.1,and(name.eq.x,not.or(ok.is.true)))', '(t0."id" = $1::text::integer OR (t0."name" = $2::text AND NOT (t0."ok" IS TRUE)))', ['1', 'x']],
  ['not.and=(id.eq.1,id.eq.2)', 'NOT (t0."id" = $1::text::integer AND t0."id" = $2::text::integer)', ['1', '2']],
];

describe('compileFilter', () => {
  it.each(cases.filter(([, sql]) => sql !== ''))('%s', (query, sql, values) => {
    expect(compile(query)).toEqual({ sql, values });
  });

  it('quotes odd column names', () => {
    expect(compile('%22my%20%5C%22col%5C%22%22=eq.1').sql).toBe('t0."my ""col""" = $1::text');
  });

  it('rejects unknown columns with the closest name (while planning)', () => {
    try {
      compile('nmae=eq.x');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(QueryError);
      expect((err as QueryError).code).toBe('UNKNOWN_COLUMN');
      expect((err as QueryError).hint).toBe('Perhaps you meant "name"');
    }
  });

  it('rejects JSON paths on non-JSON columns and ->> before the end (while planning)', () => {
    expect(() => compile('name->a=eq.1')).toThrow(/needs a json or jsonb column/);
    expect(() => compile('data->>a->b=eq.1')).toThrow(/last step/);
  });

  it('filters parents by embeds of the level, through the read compiler\'s embedExists', () => {
    const author = embed('author', 'a');
    const embeds = new Map([['author', author]]);
    const exists: EmbedExists = (e) => `${e.node.alias}_l.x is not null`;
    expect(compile('author=is.null', embeds, exists).sql).toBe('NOT (a_l.x is not null)');
    expect(compile('author=not.is.null', embeds, exists).sql).toBe('(a_l.x is not null)');
    expect(compile('name=is.null', embeds, exists).sql).toBe('t0."name" IS NULL');
  });

  it('keeps the statement text independent of list sizes', () => {
    expect(compile('id=in.(1)').sql).toBe(compile('id=in.(1,2,3,4,5,6,7,8,9)').sql);
  });

  it('compiles empty groups to constants', () => {
    const p = new Params();
    const empty = (kind: 'and' | 'or', negated: boolean): FilterNode => ({ kind, negated, children: [] });
    expect([empty('and', false), empty('or', false), empty('and', true), empty('or', true)].map((n) => compileFilter(planFilter(table, n), 't0', p)))
      .toEqual(['TRUE', 'FALSE', 'FALSE', 'TRUE']);
  });

  const hostile = [
    "id=eq.1'); drop table items; --", 'name=like.%27%20or%201=1--', 'id=in.(1,2);delete from x', 'name=fts.x\'); select pg_sleep(1)--',
    'data->%27%3Bdrop%20table%20x--=eq.1', 'data->>a%27b=eq.1', 'data->%22a%27)%20or%20(%27b%22=eq.1', 'tags=cs.{a}\'::text[]) or true--',
    'or=(name.eq.x\');drop--,id.eq.1)', 'geom=st_dwithin.1,{"type":"Point","x":"\');drop--"}', 'name=imatch(any).{"\'--",x}',
  ];

  it.each(hostile)('keeps %s inert or refuses it', (query) => {
    let compiled: { sql: string; values: unknown[] };
    try {
      compiled = compile(query);
    } catch (err) {
      expect(err).toBeInstanceOf(QueryError);
      expect(['INVALID_QUERY', 'INVALID_FILTER']).toContain((err as QueryError).code);
      return;
    }
    const { sql, values } = compiled;
    // What is left after removing quoted identifiers, quoted JSON keys and $n placeholders
    // must be SQL we wrote ourselves: operators, keywords and catalog type names.
    const stripped = sql.replace(/"(?:[^"]|"")*"/g, 'ID').replace(/'(?:[^']|'')*'/g, 'KEY').replace(/\$\d+/g, 'P');
    expect(stripped).toMatch(/^[\w\s().,:<>=@&|~*!\-[\]]*$/);
    expect(stripped).not.toMatch(/drop|delete|select|sleep|--|;|or true|or 1=1/i);
    expect(values.length).toBeGreaterThan(0);
  });
});
