// evaluateFilter against hand-checked PostgreSQL answers (the integration test
// query-filters.test.ts checks the same against a real server at random), and the
// filters assertEvaluable refuses.
import { describe, expect, it } from 'vitest';
import { col } from './column-fixture.ts';
import { QueryError } from './errors.ts';
import { assertEvaluable, evaluateFilter } from './evaluate.ts';
import { parseQueryString } from './parse/query-string.ts';
import type { FilterNode } from './ast.ts';

const columns = new Map([
  col('n', 'integer', 'int4', 'N'), col('s', 'smallint', 'int2', 'N'), col('big', 'bigint', 'int8', 'N'), col('x', 'numeric', 'numeric', 'N'),
  col('f', 'double precision', 'float8', 'N'), col('r', 'real', 'float4', 'N'), col('t', 'text', 'text', 'S'), col('b', 'boolean', 'bool', 'B'),
  col('u', 'uuid', 'uuid', 'U'), col('e', 'mood', 'mood', 'E', { enumValues: ['sad', 'ok', 'happy'] }),
  col('ia', 'integer[]', '_int4', 'A', { elementType: 'int4' }), col('ta', 'text[]', '_text', 'A', { elementType: 'text' }),
  col('j', 'jsonb', 'jsonb', 'U'), col('js', 'json', 'json', 'U'), col('d', 'date', 'date', 'D'), col('tsv', 'tsvector', 'tsvector', 'U'), col('rg', 'int4range', 'int4range', 'R'),
].map((c) => [c.name, c]));

/** `key=value&…` with raw (unencoded) values. */
function filter(query: string): FilterNode {
  const encoded = query.split('&').map((p) => {
    const i = p.indexOf('=');
    return `${encodeURIComponent(p.slice(0, i))}=${encodeURIComponent(p.slice(i + 1))}`;
  }).join('&');
  const filters = parseQueryString(encoded, { mount: 'fluxbase', aggregatesEnabled: true }).filters.map((f) => f.node);
  return filters.length === 1 ? filters[0] as FilterNode : { kind: 'and', negated: false, children: filters };
}
const ev = (query: string, row: Record<string, unknown>): boolean => evaluateFilter(filter(query), row, columns);

const cases: [string, Record<string, unknown>, boolean][] = [
  // Three-valued logic: NULL compares unknown, NOT unknown is unknown.
  ['n=eq.1', { n: null }, false],
  ['n=not.eq.1', { n: null }, false],
  ['n=neq.1', {}, false],
  ['or=(n.eq.1,t.eq.a)', { n: null, t: 'a' }, true],
  ['not.or=(n.eq.1,t.eq.a)', { n: null, t: 'b' }, false],
  ['not.and=(n.eq.1,t.eq.a)', { n: null, t: 'b' }, true],
  ['n=isdistinct.1', { n: null }, true],
  ['n=isdistinct.1', { n: 1 }, false],
  ['n=is.null', { n: null }, true],
  ['n=not.is.null', { n: 0 }, true],
  ['n=in.()', { n: null }, false],
  ['n=not.in.()', { n: null }, true],
  ['n=in.(1,2)', { n: null }, false],
  ['n=gt(all).{}', { n: null }, true],
  ['n=gt(any).{}', { n: 5 }, false],
  // Input functions.
  ['n=eq. 5 ', { n: 5 }, true],
  ['n=eq.+5', { n: 5 }, true],
  ['n=in.(1,-0)', { n: 0 }, true],
  ['big=gt.9007199254740993', { big: '9007199254740994' }, true],
  ['x=eq.1.50', { x: 1.5 }, true],
  ['x=gt.0.30000000000000001', { x: '0.3' }, false],
  ['x=lt.1e1', { x: 9.99 }, true],
  ['x=gt.Infinity', { x: 'NaN' }, true],
  ['x=eq.nan', { x: 'NaN' }, true],
  ['f=eq.NaN', { f: 'NaN' }, true],
  ['f=gt.1e308', { f: 'Infinity' }, true],
  ['f=eq.-0', { f: 0 }, true],
  ['r=eq.0.1', { r: 0.1 }, true],
  ['b=eq.yes', { b: true }, true],
  ['b=eq.OFF', { b: false }, true],
  ['b=eq. t ', { b: true }, true],
  ['b=is.true', { b: true }, true],
  ['b=is.false', { b: null }, false],
  ['b=is.unknown', { b: null }, true],
  ['b=not.is.true', { b: null }, true],
  ['u=eq.{A0EEBC999C0B4EF8BB6D6BB9BD380A11}', { u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' }, true],
  ['u=like.a0ee*', { u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' }, true],
  ['e=gt.sad', { e: 'happy' }, true],
  ['e=lt.ok', { e: 'happy' }, false],
  // Text: code point order (the C collation), LIKE escapes, ASCII-only case folding.
  ['t=lt.a', { t: 'Z' }, true],
  ['t=lt.😀', { t: '\uffff' }, true],
  ['t=like.a\\%b', { t: 'a%b' }, true],
  ['t=like.a\\%b', { t: 'axb' }, false],
  ['t=like.a_c', { t: 'aéc' }, true],
  ['t=like.*b*', { t: 'abc' }, true],
  ['t=like.%a%a%a%b', { t: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }, false],
  ['t=ilike.ABC', { t: 'abc' }, true],
  ['t=ilike.É', { t: 'é' }, false],
  ['t=match.^a.c$', { t: 'a\nc' }, true],
  ['t=match.^\\d+$', { t: '١٢' }, false],
  ['t=imatch.^[a-c]+$', { t: 'ABC' }, true],
  ['t=imatch.é', { t: 'É' }, false],
  ['t=match.a{2,3}', { t: 'caab' }, true],
  ['t=like(any).{x*,*c}', { t: 'abc' }, true],
  ['t=like(all).{a*,*x}', { t: 'abc' }, false],
  ['n=like.1*', { n: 12 }, true],
  // Arrays.
  ['ia=eq.{1,NULL}', { ia: [1, null] }, true],
  ['ia=eq.(1,2)', { ia: [1, 2] }, true],
  ['ia=eq.[1,2]', { ia: [2, 1] }, false],
  ['ia=cs.{1}', { ia: [1, null] }, true],
  ['ia=cs.{NULL}', { ia: [1, null] }, false],
  ['ia=cs.{}', { ia: [] }, true],
  ['ia=cd.{1,2,3}', { ia: [3, 1] }, true],
  ['ia=ov.{5,1}', { ia: [1] }, true],
  ['ta=cs.{"a,b"}', { ta: ['a,b', 'c'] }, true],
  ['ta=cs.("a,b")', { ta: ['a,b'] }, true],
  ['ta=cs.{NULL}', { ta: ['NULL'] }, false],
  ['ta=cs.{"NULL"}', { ta: ['NULL'] }, true],
  // jsonb.
  ['j=eq.{"b":1,"a":[1,2]}', { j: { a: [1, 2], b: 1.0 } }, true],
  ['j=cs.{"a":[1]}', { j: { a: [1, 2], b: 1 } }, true],
  ['j=cs."a"', { j: ['a', 'b'] }, true],
  ['j=cs.{"a":"x"}', { j: { a: ['x'] } }, false],
  ['j=cs.["x"]', { j: 'x' }, false],
  ['j=cd.{"a":1,"b":2}', { j: { a: 1 } }, true],
  ['j->a=eq.1', { j: { a: 1 } }, true],
  ['j->a=is.null', { j: { a: null } }, false],
  ['j->>a=is.null', { j: { a: null } }, true],
  ['j->0=eq."b"', { j: 'b' }, true],
  ['j->1=is.null', { j: 'b' }, true],
  ['j->-1=eq.3', { j: [1, 2, 3] }, true],
  ['j->>a=eq.{"c": [1, true], "bb": 2}', { j: { a: { bb: 2, c: [1, true] } } }, true],
  ['j->>a=eq.0.0000001', { j: { a: 1e-7 } }, true],
  ['j->a->>b=gt.a', { j: { a: { b: 'b' } } }, true],
  ['j->>a=in.(x,1)', { j: { a: 1 } }, true],
  ['j->>a=like.*', { j: { a: null } }, false],
  ['js->a=eq.{"k":1}', { js: { a: { k: 1 } } }, true],
];

describe('evaluateFilter', () => {
  it.each(cases)('%s on %j → %s', (query, row, expected) => {
    expect(ev(query, row)).toBe(expected);
  });

  it('compiles a node once per column map', () => {
    const node = filter('n=gt.9');
    expect(evaluateFilter(node, { n: 10 }, columns)).toBe(true);
    const other = new Map([['n', col('n', 'text', 'text', 'S')]]);
    expect(evaluateFilter(node, { n: '10' }, other)).toBe(false);
  });
});

const refused: [string, RegExp][] = [
  ['tsv=fts.cat', /full-text search/],
  ['t=plfts(english).cat', /full-text search/],
  ['rg=ov.[1,2)', /arrays/],
  ['rg=sl.[1,2)', /not modelled/],
  ['d=eq.2024-01-01', /date are not modelled/],
  ['d=gt.2024-01-01', /not modelled/],
  ['f=like.1*', /text form/],
  ['j=gt.1', /not modelled/],
  ['j=like.x', /text form/],
  ['ia=gt.{1}', /not modelled/],
  ['ia=in.({1})', /lists of values/],
  ['n=is.true', /boolean column/],
  ['t->a=eq.1', /json or jsonb column/],
  ['js->>a=eq.1', /use jsonb/],
  ['n=eq.abc', /not an integer/],
  ['n=eq.1_000', /not an integer/],
  ['s=eq.40000', /out of range/],
  ['n=in.(1,x)', /not an integer/],
  ['x=eq.1e99999', /not a number/],
  ['f=eq.1e400', /out of range/],
  ['b=eq.o', /not a boolean/],
  ['u=eq.a0ee-bc999c0b4ef8bb6d6bb9bd380a11-', /not a uuid/],
  ['e=eq.SAD', /labels/],
  ['j=eq.{bad', /not valid jsonb/],
  ['j=eq."\\u0000"', /not valid jsonb/],
  ['ia=eq.{{1},{2}}', /one-dimensional/],
  ['t=like.abc\\', /escape character/],
  ['t=match.(?=a)', /lookaround/],
  ['t=match.(a)\\1', /escape \\1/],
  ['t=match.\\bword', /escape \\b/],
  ['t=match.(a+)+$', /nested quantifiers/],
  ['t=match.(a|aa)*', /quantified alternations/],
  ['t=match.[[:alpha:]]', /\[: :\]/],
  ['t=match.(?i)abc', /embedded options/],
  ['t=match.***=abc', /directors/],
  ['t=match.a{300}', /bound/],
  ['t=match.*a', /follow something/],
  ['t=match.[z-a]', /invalid range/],
  ['t=imatch(any).{ok,(x+)*}', /nested quantifiers/],
];

describe('assertEvaluable', () => {
  it.each(refused)('refuses %s', (query, message) => {
    let caught: unknown;
    try {
      assertEvaluable(filter(query), columns);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(QueryError);
    expect((caught as QueryError).code).toBe('INVALID_FILTER');
    expect((caught as QueryError).message).toMatch(message);
  });

  it('refuses inside groups too, and names unknown columns', () => {
    expect(() => assertEvaluable(filter('or=(n.eq.1,tsv.fts.x)'), columns)).toThrow(/full-text search/);
    try {
      assertEvaluable(filter('nn=eq.1'), columns);
      expect.unreachable();
    } catch (err) {
      expect((err as QueryError).code).toBe('UNKNOWN_COLUMN');
      expect((err as QueryError).hint).toBe('Perhaps you meant "n"');
    }
  });

  it('accepts is.null on any type', () => {
    expect(() => assertEvaluable(filter('d=is.null&tsv=not.is.null&rg=is.null'), columns)).not.toThrow();
    expect(ev('d=is.null', { d: null })).toBe(true);
  });
});
