// equalityKeyOf / rowEqualityKey (realtime's index of `eq` filters, docs/realtime.md
// "Filters") must agree exactly with the evaluator: a row's key equals a filter's key
// precisely when evaluateFilter accepts the row.
import { describe, expect, it } from 'vitest';
import type { Column } from '../db/index.ts';
import { col } from './column-fixture.ts';
import { equalityKeyOf, evaluateFilter, rowEqualityKey } from './evaluate.ts';
import type { FilterNode } from './ast.ts';

const leaf = (column: string, value: string, extra: Partial<{ negated: boolean; op: string; path: { op: string; key: string }[] }> = {}): FilterNode => ({
  kind: 'filter', negated: extra.negated ?? false,
  field: { column, path: (extra.path ?? []) as never },
  operation: { op: extra.op ?? 'eq', value } as never,
});

const columns = new Map<string, Column>([
  ['n', col('n', 'integer', 'int4', 'N')],
  ['big', col('big', 'bigint', 'int8', 'N')],
  ['t', col('t', 'text', 'text', 'S')],
  ['u', col('u', 'uuid', 'uuid', 'U')],
  ['b', col('b', 'boolean', 'bool', 'B')],
  ['m', col('m', 'mood', 'mood', 'E', { enumValues: ['sad', 'ok', 'happy'] })],
  ['r', col('r', 'numeric', 'numeric', 'N')],
  ['j', col('j', 'jsonb', 'jsonb', 'U')],
]);

describe('equality keys agree with the evaluator', () => {
  const cases: [string, string, unknown[]][] = [
    ['n', '7', [7, 8, -7, '7', null]],
    ['n', '007', [7, 70]],
    ['big', '9007199254740993', ['9007199254740993', '9007199254740992', 9007199254740992]],
    ['t', 'Ann', ['Ann', 'ann', 'Ann ', '', null]],
    ['u', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12']],
    ['u', '{a0eebc999c0b4ef8bb6d6bb9bd380a11}', ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']],
    ['b', 'true', [true, false, null]],
    ['b', 't', [true, false]],
    ['m', 'ok', ['ok', 'sad', 'happy']],
  ];
  it.each(cases)('%s=eq.%s', (column, value, rows) => {
    const node = leaf(column, value);
    const key = equalityKeyOf(node, columns);
    expect(key?.column).toBe(column);
    for (const raw of rows) {
      const row = { [column]: raw };
      const accepted = evaluateFilter(node, row, columns);
      expect(rowEqualityKey(columns.get(column)!, raw) === key!.key, `${JSON.stringify(raw)}`).toBe(accepted);
    }
  });

  it('is not offered for other filters: numeric, jsonb, paths, negation, other operators', () => {
    expect(equalityKeyOf(leaf('r', '1.0'), columns)).toBeUndefined();
    expect(equalityKeyOf(leaf('j', '{}'), columns)).toBeUndefined();
    expect(equalityKeyOf(leaf('j', 'x', { path: [{ op: '->>', key: 'a' }] }), columns)).toBeUndefined();
    expect(equalityKeyOf(leaf('n', '1', { negated: true }), columns)).toBeUndefined();
    expect(equalityKeyOf(leaf('n', '1', { op: 'gt' }), columns)).toBeUndefined();
    expect(equalityKeyOf({ kind: 'and', negated: false, children: [leaf('n', '1')] }, columns)).toBeUndefined();
    expect(equalityKeyOf(leaf('n', 'abc'), columns)).toBeUndefined();
  });
});
