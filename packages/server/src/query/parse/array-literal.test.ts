// PostgreSQL array literals and the three spellings clients send for an array value.
import { describe, expect, it } from 'vitest';
import { normalizeArrayValue, parseArrayLiteral, toArrayLiteral } from './array-literal.ts';

describe('parseArrayLiteral', () => {
  it.each<[string, (string | null)[] | undefined]>([
    ['{}', []],
    [' { } ', []],
    ['{a,b}', ['a', 'b']],
    ['{ a , b c }', ['a', 'b c']],
    ['{"a,b","q\\"t",NULL,null,"NULL"}', ['a,b', 'q"t', null, null, 'NULL']],
    ['{a\\,b}', ['a,b']],
    ['{"",x}', ['', 'x']],
    ['{a"b c"d}', ['ab cd']],
    ['{{1},{2}}', undefined],
    ['[1:2]={1,2}', undefined],
    ['{a,,b}', undefined],
    ['{a', undefined],
    ['{"a}', undefined],
    ['{a}x', undefined],
    ['a,b', undefined],
  ])('%s', (text, expected) => {
    expect(parseArrayLiteral(text)).toEqual(expected);
  });
});

describe('normalizeArrayValue', () => {
  it.each([
    ['{a,b}', '{a,b}'],
    ['(a,"b,c")', '{"a","b,c"}'],
    ['["a", 1, true, null]', '{"a","1","true",NULL}'],
    ['[[1]]', '[[1]]'],
    ['[1,5)', '[1,5)'],
    ['(1,', '(1,'],
  ])('%s → %s', (value, expected) => {
    expect(normalizeArrayValue(value)).toBe(expected);
  });

  it('round-trips through toArrayLiteral', () => {
    const items = ['a', 'b,c', 'q"t', 'back\\slash', '', ' s ', null, 'NULL'];
    expect(parseArrayLiteral(toArrayLiteral(items))).toEqual(items);
  });
});
