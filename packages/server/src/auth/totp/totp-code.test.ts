// HOTP and TOTP against the RFC 4226 Appendix D and RFC 6238 Appendix B test vectors, and
// the ±1-step acceptance window.
import { describe, expect, it } from 'vitest';
import { hotp, matchingSteps, totpAt, totpStep, type TotpAlgorithm } from './totp-code.ts';

const SEEDS: Record<TotpAlgorithm, Buffer> = {
  sha1: Buffer.from('12345678901234567890'),
  sha256: Buffer.from('12345678901234567890123456789012'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};

// RFC 6238 Appendix B: time (s), SHA-1, SHA-256, SHA-512 (8 digits).
const RFC6238: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('HOTP (RFC 4226)', () => {
  it('matches the Appendix D values for counters 0–9', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expect(expected.map((_, counter) => hotp(SEEDS.sha1, counter))).toEqual(expected);
  });
});

describe('TOTP (RFC 6238)', () => {
  it.each(RFC6238)('at T=%i gives the SHA-1, SHA-256 and SHA-512 vectors', (seconds, sha1, sha256, sha512) => {
    const at = (algorithm: TotpAlgorithm) => totpAt(SEEDS[algorithm], seconds * 1000, { digits: 8, algorithm });
    expect([at('sha1'), at('sha256'), at('sha512')]).toEqual([sha1, sha256, sha512]);
  });

  it('uses 6 digits and 30-second steps by default (last 6 digits of the 8-digit vector)', () => {
    expect(totpAt(SEEDS.sha1, 59_000)).toBe('287082');
    expect(totpAt(SEEDS.sha1, 1111111109_000)).toBe('081804');
    expect(totpStep(59_000)).toBe(1);
    expect(totpStep(60_000)).toBe(2);
  });
});

describe('matchingSteps', () => {
  const now = 1_700_000_000_000;
  const step = totpStep(now);
  const codeAt = (s: number) => hotp(SEEDS.sha1, s);

  it('accepts the current step and one either side, naming the step', () => {
    expect(matchingSteps(SEEDS.sha1, codeAt(step), now)).toContain(step);
    expect(matchingSteps(SEEDS.sha1, codeAt(step - 1), now)).toContain(step - 1);
    expect(matchingSteps(SEEDS.sha1, codeAt(step + 1), now)).toContain(step + 1);
  });

  it('refuses codes two steps away, wrong codes and codes of the wrong length', () => {
    const outside = [codeAt(step - 2), codeAt(step + 2)].filter((c) => ![step - 1, step, step + 1].some((s) => codeAt(s) === c));
    for (const code of outside) expect(matchingSteps(SEEDS.sha1, code, now)).toEqual([]);
    const wrong = String((Number(codeAt(step)) + 1) % 1_000_000).padStart(6, '0');
    if (![step - 1, step + 1].some((s) => codeAt(s) === wrong)) expect(matchingSteps(SEEDS.sha1, wrong, now)).toEqual([]);
    expect(matchingSteps(SEEDS.sha1, codeAt(step).slice(0, 5), now)).toEqual([]);
    expect(matchingSteps(SEEDS.sha1, `${codeAt(step)}0`, now)).toEqual([]);
  });
});
