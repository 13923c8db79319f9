// Filter values (`col=<value>`): every operator and modifier, as a table of [value,
// expected FilterLeaf operation | error code] (docs/architecture.md "Tests and
// benchmarks").
import { describe, expect, it } from 'vitest';
import type { FilterLeaf, Operation } from '../ast.ts';
import { DEFAULT_PARSE_LIMITS } from '../ast.ts';
import { QueryError } from '../errors.ts';
import { parseFilter } from './filter.ts';

const field = { column: 'c', path: [] };
const ok = (operation: Operation, negated = false): FilterLeaf => ({ kind: 'filter', field, negated, operation });

const cases: [string, FilterLeaf][] = [
  ['eq.5', ok({ op: 'eq', value: '5' })],
  ['eq.', ok({ op: 'eq', value: '' })],
  ['eq.1.5', ok({ op: 'eq', value: '1.5' })],
  ['eq.a,b)(', ok({ op: 'eq', value: 'a,b)(' })],
  ['eq."quoted"', ok({ op: 'eq', value: '"quoted"' })],
  ['neq.x', ok({ op: 'neq', value: 'x' })],
  ['gt.1', ok({ op: 'gt', value: '1' })],
  ['gte.1', ok({ op: 'gte', value: '1' })],
  ['lt.1', ok({ op: 'lt', value: '1' })],
  ['lte.1', ok({ op: 'lte', value: '1' })],
  ['like.*a%', ok({ op: 'like', value: '*a%' })],
  ['ilike.A*', ok({ op: 'ilike', value: 'A*' })],
  ['match.^a.*$', ok({ op: 'match', value: '^a.*$' })],
  ['imatch.x', ok({ op: 'imatch', value: 'x' })],
  ['isdistinct.null', ok({ op: 'isdistinct', value: 'null' })],
  ['cs.{a,b}', ok({ op: 'cs', value: '{a,b}' })],
  ['cs.[1,2]', ok({ op: 'cs', value: '[1,2]' })],
  ['cs.{"a":1}', ok({ op: 'cs', value: '{"a":1}' })],
  ['cd.{1}', ok({ op: 'cd', value: '{1}' })],
  ['ov.[1,5)', ok({ op: 'ov', value: '[1,5)' })],
  ['sl.(1,10)', ok({ op: 'sl', value: '(1,10)' })],
  ['sr.(1,10)', ok({ op: 'sr', value: '(1,10)' })],
  ['nxr.(1,10)', ok({ op: 'nxr', value: '(1,10)' })],
  ['nxl.(1,10)', ok({ op: 'nxl', value: '(1,10)' })],
  ['adj.(1,10)', ok({ op: 'adj', value: '(1,10)' })],
  ['in.(1,2,3)', ok({ op: 'in', values: ['1', '2', '3'] })],
  ['in.()', ok({ op: 'in', values: [] })],
  ['in.("")', ok({ op: 'in', values: [''] })],
  ['in.(a,,b)', ok({ op: 'in', values: ['a', '', 'b'] })],
  ['in.("a,b","with \\"quote\\"",c)', ok({ op: 'in', values: ['a,b', 'with "quote"', 'c'] })],
  ['in.("a\\\\b")', ok({ op: 'in', values: ['a\\b'] })],
  ['in.("a"b,c)', ok({ op: 'in', values: ['"a"b', 'c'] })],
  ['in.( 1, 2)', ok({ op: 'in', values: [' 1', ' 2'] })],
  ['not.in.(1,2)', ok({ op: 'in', values: ['1', '2'] }, true)],
  ['is.null', ok({ op: 'is', value: 'null' })],
  ['is.NULL', ok({ op: 'is', value: 'null' })],
  ['is.True', ok({ op: 'is', value: 'true' })],
  ['is.false', ok({ op: 'is', value: 'false' })],
  ['is.unknown', ok({ op: 'is', value: 'unknown' })],
  ['not.is.null', ok({ op: 'is', value: 'null' }, true)],
  ['fts.cat', ok({ op: 'fts', value: 'cat' })],
  ['fts(english).cat & dog', ok({ op: 'fts', language: 'english', value: 'cat & dog' })],
  ['plfts(simple).a b', ok({ op: 'plfts', language: 'simple', value: 'a b' })],
  ['phfts.a b', ok({ op: 'phfts', value: 'a b' })],
  ['wfts(english)."a" -b', ok({ op: 'wfts', language: 'english', value: '"a" -b' })],
  ['like(any).{a*,b*}', ok({ op: 'like', quantifier: 'any', values: ['a*', 'b*'] })],
  ['ilike(all).{"a,b", c }', ok({ op: 'ilike', quantifier: 'all', values: ['a,b', 'c'] })],
  ['eq(any).{}', ok({ op: 'eq', quantifier: 'any', values: [] })],
  ['neq(all).{1,2}', ok({ op: 'neq', quantifier: 'all', values: ['1', '2'] })],
  ['gt(any).{1}', ok({ op: 'gt', quantifier: 'any', values: ['1'] })],
  ['gte(any).{1}', ok({ op: 'gte', quantifier: 'any', values: ['1'] })],
  ['lt(all).{1}', ok({ op: 'lt', quantifier: 'all', values: ['1'] })],
  ['lte(all).{1}', ok({ op: 'lte', quantifier: 'all', values: ['1'] })],
  ['match(any).{^a,"b{2}"}', ok({ op: 'match', quantifier: 'any', values: ['^a', 'b{2}'] })],
  ['imatch(all).{x}', ok({ op: 'imatch', quantifier: 'all', values: ['x'] })],
  ['not.like(any).{a*}', ok({ op: 'like', quantifier: 'any', values: ['a*'] }, true)],
  ['st_intersects.{"type":"Point","coordinates":[1,2]}', ok({ op: 'st_intersects', value: '{"type":"Point","coordinates":[1,2]}' })],
  ['st_contains.{"type":"Point","coordinates":[1,2]}', ok({ op: 'st_contains', value: '{"type":"Point","coordinates":[1,2]}' })],
  ['st_within.{"type":"Point","coordinates":[1,2]}', ok({ op: 'st_within', value: '{"type":"Point","coordinates":[1,2]}' })],
  ['st_touches.{"type":"Point","coordinates":[1,2]}', ok({ op: 'st_touches', value: '{"type":"Point","coordinates":[1,2]}' })],
  ['st_crosses.{"type":"Point","coordinates":[1,2]}', ok({ op: 'st_crosses', value: '{"type":"Point","coordinates":[1,2]}' })],
  ['st_overlaps.{"type":"Point","coordinates":[1,2]}', ok({ op: 'st_overlaps', value: '{"type":"Point","coordinates":[1,2]}' })],
  ['st_dwithin.1000,{"type":"Point","coordinates":[1,2]}', ok({ op: 'st_dwithin', value: '1000,{"type":"Point","coordinates":[1,2]}' })],
  ["eq.1'; drop table users; --", ok({ op: 'eq', value: "1'; drop table users; --" })],
];

const errors: [string, string, RegExp?][] = [
  ['5', 'INVALID_FILTER', /has no operator/],
  ['', 'INVALID_FILTER', /has no operator/],
  ['eq', 'INVALID_FILTER', /expected "\."/],
  ['eqq.5', 'INVALID_FILTER', /unknown operator "eqq"/],
  ['between.1', 'INVALID_FILTER', /unknown operator/],
  ['not.5', 'INVALID_FILTER'],
  ['not.not.eq.5', 'INVALID_FILTER', /only once/],
  ['not.', 'INVALID_FILTER'],
  ['in.1,2', 'INVALID_FILTER', /expected "\("/],
  ['in.(1,2', 'INVALID_FILTER'],
  ['in.(1,2)x', 'INVALID_FILTER', /unexpected/],
  ['is.maybe', 'INVALID_FILTER', /null, true, false or unknown/],
  ['is.', 'INVALID_FILTER'],
  ['fts(english.cat', 'INVALID_FILTER'],
  ['fts(eng lish).cat', 'INVALID_FILTER', /plain word/],
  ["fts(english');drop).cat", 'INVALID_FILTER', /plain word/],
  ['fts().cat', 'INVALID_FILTER', /plain word/],
  ['like(some).{a}', 'INVALID_FILTER', /modifier/],
  ['like(any).a,b', 'INVALID_FILTER', /expected "\{"/],
  ['like(any).{a"b}', 'INVALID_FILTER', /double-quoted/],
  ['cs(any).{a}', 'INVALID_FILTER', /no modifier/],
  ['st_intersects.notjson', 'INVALID_FILTER', /GeoJSON/],
  ['st_dwithin.{"type":"Point"}', 'INVALID_FILTER', /distance/],
  ['st_dwithin.-5,{"type":"Point"}', 'INVALID_FILTER', /distance/],
  ['vec_cos.[1,2]', 'INVALID_FILTER', /vector distance/],
];

describe('parseFilter', () => {
  it.each(cases)('%s', (value, expected) => {
    expect(parseFilter(field, value)).toEqual(expected);
  });

  it.each(errors)('%s → %s', (value, code, message) => {
    let caught: unknown;
    try {
      parseFilter(field, value);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(QueryError);
    expect((caught as QueryError).code).toBe(code);
    if (message) expect((caught as QueryError).message).toMatch(message);
  });

  it('names the closest operator and lists them all', () => {
    try {
      parseFilter(field, 'gtt.5');
      expect.unreachable();
    } catch (err) {
      expect((err as QueryError).hint).toMatch(/Did you mean "gt"\?/);
      expect((err as QueryError).hint).toMatch(/isdistinct/);
      expect((err as QueryError).details).toMatchObject({ position: 1, operator: 'gtt' });
    }
  });

  it('bounds in lists: 10,000 items pass, 10,001 fail', () => {
    const items = (n: number) => `in.(${Array.from({ length: n }, (_, i) => i).join(',')})`;
    expect((parseFilter(field, items(10_000)).operation as { values: string[] }).values).toHaveLength(10_000);
    expect(() => parseFilter(field, items(10_001))).toThrow(/more than 10000 items/);
    expect(() => parseFilter(field, `like(any).{${Array(10_001).fill('a').join(',')}}`)).toThrow(/more than 10000 items/);
    expect(() => parseFilter(field, items(3), { ...DEFAULT_PARSE_LIMITS, maxInItems: 2 })).toThrow(QueryError);
  });
});
