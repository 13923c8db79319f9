// Recovery codes: the XXXXX-XXXXX base32 format, normalisation of what users type, and
// salted scrypt hashes that match only their own code.
import { describe, expect, it } from 'vitest';
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode, recoveryCodeMatches } from './recovery-codes.ts';

describe('recovery codes', () => {
  it('makes 10 distinct codes of the form XXXXX-XXXXX in base32', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
  });

  it('normalises case, dashes and spaces, and refuses anything else', () => {
    expect(normalizeRecoveryCode('abcde-fgh23')).toBe('ABCDEFGH23');
    expect(normalizeRecoveryCode(' ABCDE FGH23 ')).toBe('ABCDEFGH23');
    expect(normalizeRecoveryCode('ABCDE-FGH2')).toBeNull();
    expect(normalizeRecoveryCode('ABCDE-FGH21')).toBeNull(); // 1 is not base32
    expect(normalizeRecoveryCode('123456')).toBeNull();
  });

  it('stores a salted hash that matches the code (in any typed form) and nothing else', async () => {
    const [code, other] = newRecoveryCodes(2) as [string, string];
    const stored = await hashRecoveryCode(code);
    expect(stored).not.toContain(code.replace('-', ''));
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await recoveryCodeMatches(normalizeRecoveryCode(code.toLowerCase())!, stored)).toBe(true);
    expect(await recoveryCodeMatches(normalizeRecoveryCode(other)!, stored)).toBe(false);
    expect(await hashRecoveryCode(code)).not.toBe(stored); // per-code salt
    expect(await recoveryCodeMatches(normalizeRecoveryCode(code)!, 'sha256$whatever')).toBe(false);
  });
});
