// Logic groups (`or=(…)`, `and=(…)`, nested, negated) as a table of [text, tree | error].
import { describe, expect, it } from 'vitest';
import type { FilterGroup, FilterLeaf, FilterNode, Operation } from '../ast.ts';
import { QueryError } from '../errors.ts';
import { parseLogic } from './logic.ts';

const leaf = (column: string, operation: Operation, negated = false, path: FilterLeaf['field']['path'] = []): FilterLeaf =>
  ({ kind: 'filter', field: { column, path }, negated, operation });
const group = (kind: 'and' | 'or', children: FilterNode[], negated = false): FilterGroup => ({ kind, negated, children });
const eq = (column: string, value: string) => leaf(column, { op: 'eq', value });

const cases: [string, FilterGroup][] = [
  ['(a.eq.1)', group('or', [eq('a', '1')])],
  ['(a.eq.1,b.gt.2)', group('or', [eq('a', '1'), leaf('b', { op: 'gt', value: '2' })])],
  ['( a.eq.1 , b.eq.2)', group('or', [eq('a', '1 '), eq('b', '2')])],
  ['(a.eq.1,or(b.gt.2,c.is.null))', group('or', [eq('a', '1'), group('or', [leaf('b', { op: 'gt', value: '2' }), leaf('c', { op: 'is', value: 'null' })])])],
  ['(and(a.eq.1,b.eq.2),not.or(c.eq.3),not.and(d.eq.4))', group('or', [
    group('and', [eq('a', '1'), eq('b', '2')]), group('or', [eq('c', '3')], true), group('and', [eq('d', '4')], true)])],
  ['(a.not.eq.1)', group('or', [leaf('a', { op: 'eq', value: '1' }, true)])],
  ['(a.eq.1.5)', group('or', [eq('a', '1.5')])],
  ['(a.eq.)', group('or', [eq('a', '')])],
  ['(a.eq."x,y)",b.eq."say \\"hi\\"")', group('or', [eq('a', 'x,y)'), eq('b', 'say "hi"')])],
  ['(a.eq."x"y)', group('or', [eq('a', '"x"y')])],
  ['(a.cs.{1,2},b.cd.{x})', group('or', [leaf('a', { op: 'cs', value: '{1,2}' }), leaf('b', { op: 'cd', value: '{x}' })])],
  ['(a.ov."[1,5)")', group('or', [leaf('a', { op: 'ov', value: '[1,5)' })])],
  ['(a.in.(1,"2,3"),b.not.in.())', group('or', [leaf('a', { op: 'in', values: ['1', '2,3'] }), leaf('b', { op: 'in', values: [] }, true)])],
  ['(a.like(any).{x*,"y,z"})', group('or', [leaf('a', { op: 'like', quantifier: 'any', values: ['x*', 'y,z'] })])],
  ['(a.fts(english).cat,b.is.TRUE)', group('or', [leaf('a', { op: 'fts', language: 'english', value: 'cat' }), leaf('b', { op: 'is', value: 'true' })])],
  ['(data->a->>b.eq.x,"my col".eq.1)', group('or', [leaf('data', { op: 'eq', value: 'x' }, false, [{ op: '->', key: 'a' }, { op: '->>', key: 'b' }]), eq('my col', '1')])],
  ['(or.eq.1,and.eq.2,not.eq.3)', group('or', [eq('or', '1'), eq('and', '2'), eq('not', '3')])],
];

const errors: string[] = [
  '', '()', 'a.eq.1', '(a.eq.1', '(a.eq.1))', '(a.eq.1,)', '(a)', '(a.zz.1)', '(xor(a.eq.1))', '(not.xor(a.eq.1))',
  '(or())', '(a.in.1,2)', '(a.is.maybe)', '(a.eq.1;drop)x',
];

describe('parseLogic', () => {
  it.each(cases)('%s', (text, expected) => {
    expect(parseLogic('or', false, text)).toEqual(expected);
  });

  it('carries the kind and negation of the parameter', () => {
    expect(parseLogic('and', true, '(a.eq.1)')).toEqual(group('and', [eq('a', '1')], true));
  });

  it.each(errors)('%j → INVALID_FILTER', (text) => {
    let caught: unknown;
    try {
      parseLogic('or', false, text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(QueryError);
    expect((caught as QueryError).code).toBe('INVALID_FILTER');
  });

  it('allows 10 levels of nesting, not 11', () => {
    const nest = (n: number): string => (n === 1 ? '(a.eq.1)' : `(or${nest(n - 1)})`);
    expect(() => parseLogic('or', false, nest(10))).not.toThrow();
    expect(() => parseLogic('or', false, nest(11))).toThrow(/nested more than 10 levels/);
    // Deep input fails on the limit, not on the stack.
    expect(() => parseLogic('or', false, nest(5000))).toThrow(QueryError);
  });

  it('counts terms across the whole tree', () => {
    const terms = (n: number) => `(${Array.from({ length: n }, (_, i) => `c${i}.eq.1`).join(',')})`;
    expect(parseLogic('and', false, terms(200)).children).toHaveLength(200);
    expect(() => parseLogic('and', false, terms(201))).toThrow(/more than 200 filter terms/);
  });
});
