// Base32 against the RFC 4648 §10 test vectors (without padding) and round trips.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode } from './base32.ts';

const VECTORS: [string, string][] = [
  ['', ''], ['f', 'MY'], ['fo', 'MZXQ'], ['foo', 'MZXW6'], ['foob', 'MZXW6YQ'], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI'],
];

describe('base32 (RFC 4648)', () => {
  it.each(VECTORS)('encodes %j as %j without padding', (plain, encoded) => {
    expect(base32Encode(Buffer.from(plain))).toBe(encoded);
  });

  it.each(VECTORS)('decodes %j back (with or without padding, any case)', (plain, encoded) => {
    expect(base32Decode(encoded).toString()).toBe(plain);
    expect(base32Decode(encoded.toLowerCase().padEnd(Math.ceil(encoded.length / 8) * 8, '=')).toString()).toBe(plain);
  });

  it('encodes the RFC 6238 SHA-1 seed as authenticator apps expect', () => {
    expect(base32Encode(Buffer.from('12345678901234567890'))).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });

  it('round-trips random secrets of every length up to 40 bytes', () => {
    for (let n = 0; n <= 40; n++) {
      const bytes = randomBytes(n);
      const text = base32Encode(bytes);
      expect(text).toMatch(/^[A-Z2-7]*$/);
      expect(base32Decode(text).equals(bytes)).toBe(true);
    }
  });

  it('refuses characters outside the alphabet', () => {
    expect(() => base32Decode('MZXW1')).toThrow('not base32');
    expect(() => base32Decode('MZ!W6')).toThrow('not base32');
  });
});
