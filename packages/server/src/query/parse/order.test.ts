// The order grammar as a table of [text, terms | error].
import { describe, expect, it } from 'vitest';
import type { OrderTerm } from '../ast.ts';
import { QueryError } from '../errors.ts';
import { parseOrder } from './order.ts';

const t = (column: string, extra: Partial<OrderTerm> = {}, path: OrderTerm['field']['path'] = []): OrderTerm =>
  ({ field: { column, path }, direction: 'asc', ...extra });

const cases: [string, OrderTerm[]][] = [
  ['a', [t('a')]],
  ['a.asc', [t('a')]],
  ['a.desc', [t('a', { direction: 'desc' })]],
  ['a.nullsfirst', [t('a', { nulls: 'first' })]],
  ['a.desc.nullslast', [t('a', { direction: 'desc', nulls: 'last' })]],
  ['a,b.desc, c.asc.nullsfirst', [t('a'), t('b', { direction: 'desc' }), t('c', { nulls: 'first' })]],
  ['data->x.desc', [t('data', { direction: 'desc' }, [{ op: '->', key: 'x' }])]],
  ['data->>0', [t('data', {}, [{ op: '->>', key: '0' }])]],
  ['"a.b".desc', [t('a.b', { direction: 'desc' })]],
  ['rel(col).desc', [t('col', { relation: 'rel', direction: 'desc' })]],
  ['rel(data->x)', [t('data', { relation: 'rel' }, [{ op: '->', key: 'x' }])]],
  ['emb.vec_l2.[1,2,3]', [t('emb', { vector: { op: 'vec_l2', value: [1, 2, 3] } })]],
  ['emb.vec_cos.[0.5,-1e-3].desc', [t('emb', { direction: 'desc', vector: { op: 'vec_cos', value: [0.5, -0.001] } })]],
  ['emb.vec_ip.[1].asc.nullslast,id', [t('emb', { nulls: 'last', vector: { op: 'vec_ip', value: [1] } }), t('id')]],
];

const errors: string[] = [
  '', 'a,', 'a.ac', 'a.descc', 'a.nulsfist', 'a.asc.desc', 'a.nullsfirst.desc', 'a.desc.nullsfirst.nullslast',
  'rel(a,b)', 'rel(a', 'data->', 'a.vec_l2.[]', 'a.vec_l2.[1,x]', 'a.vec_l2.[1', 'a.desc.vec_l2.[1]',
  'a;drop table x', "a'.desc", 'a.desc)',
];

describe('parseOrder', () => {
  it.each(cases)('%s', (text, expected) => {
    expect(parseOrder(text)).toEqual(expected);
  });

  it.each(errors)('%j → INVALID_QUERY', (text) => {
    let caught: unknown;
    try {
      parseOrder(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(QueryError);
    expect((caught as QueryError).code).toBe('INVALID_QUERY');
  });

  it('explains an unknown modifier', () => {
    expect(() => parseOrder('a.up')).toThrow(/unexpected order modifier "up"/);
  });

  it('allows 16 terms, not 17', () => {
    const terms = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`).join(',');
    expect(parseOrder(terms(16))).toHaveLength(16);
    expect(() => parseOrder(terms(17))).toThrow(/more than 16 order terms/);
  });
});
