import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKey, hashKey, isWellFormedKey, keyPrefix } from './key-format.ts';

describe('service key format', () => {
  it('generates sk_ + 43 base64url characters (46 in all) with its prefix and SHA-256', () => {
    const k = generateKey();
    expect(k.key).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(k.key).toHaveLength(46);
    expect(Buffer.from(k.key.slice(3), 'base64url')).toHaveLength(32);
    expect(k.prefix).toBe(k.key.slice(0, 16));
    expect(k.hash.equals(createHash('sha256').update(k.key).digest())).toBe(true);
    expect(generateKey().key).not.toBe(k.key);
  });

  it.each([
    ['sk_', false],
    ['sk_' + 'a'.repeat(42), false],
    ['sk_' + 'a'.repeat(44), false],
    ['sk_' + 'a'.repeat(42) + '=', false],
    ['sk_' + 'a'.repeat(42) + '+', false],
    ['SK_' + 'a'.repeat(43), false],
    ['sk_' + 'a'.repeat(43), true],
    ['sk_' + '-_'.repeat(21) + 'Z', true],
  ])('isWellFormedKey(%s) = %s', (value, ok) => {
    expect(isWellFormedKey(value)).toBe(ok);
  });

  it('hashes and prefixes deterministically', () => {
    const key = 'sk_' + 'b'.repeat(43);
    expect(keyPrefix(key)).toBe('sk_bbbbbbbbbbbbb');
    expect(hashKey(key).equals(hashKey(key))).toBe(true);
  });
});
