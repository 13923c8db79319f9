// Closest-name hints for unknown columns, operators and relations.
import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from './suggest.ts';

describe('closestName', () => {
  const names = ['id', 'name', 'email', 'created_at', 'updated_at'];
  it.each([
    ['nmae', 'name'], ['Name', 'name'], ['emial', 'email'], ['created', undefined], ['creatd_at', 'created_at'],
    ['x', undefined], ['totally_different', undefined], ['updatedat', 'updated_at'],
  ])('%s → %s', (input, expected) => {
    expect(closestName(input, names)).toBe(expected);
  });

  it('counts a transposition as one edit', () => {
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('takes any iterable, including a Map key iterator', () => {
    expect(closestName('gtt', new Map([['gt', 1], ['lt', 2]]).keys())).toBe('gt');
  });
});
