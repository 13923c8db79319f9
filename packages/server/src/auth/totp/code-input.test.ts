// Reading codes and user ids from request bodies: what is accepted, and the 400s.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../http/index.ts';
import { parseCode, parseUserId } from './code-input.ts';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : 'not an AppError';
  }
  return 'no error';
};

describe('parseCode', () => {
  it('reads 6-digit TOTP codes (spaces allowed) and recovery codes', () => {
    expect(parseCode('123456')).toEqual({ kind: 'totp', value: '123456' });
    expect(parseCode('123 456')).toEqual({ kind: 'totp', value: '123456' });
    expect(parseCode('abcde-fgh23')).toEqual({ kind: 'recovery_code', value: 'ABCDEFGH23' });
  });

  it.each([
    ['missing', undefined, 'MISSING_REQUIRED_FIELD'],
    ['empty', '', 'MISSING_REQUIRED_FIELD'],
    ['a number', 123456, 'VALIDATION_FAILED'],
    ['non-numeric', 'abcdef', 'VALIDATION_FAILED'],
    ['5 digits', '12345', 'VALIDATION_FAILED'],
    ['7 digits', '1234567', 'VALIDATION_FAILED'],
    ['huge', '1'.repeat(100_000), 'VALIDATION_FAILED'],
    ['an object', { code: '123456' }, 'VALIDATION_FAILED'],
  ])('refuses %s', (_name, value, code) => {
    expect(codeOf(() => parseCode(value))).toBe(code);
  });

  it('refuses recovery codes where the current TOTP code is required', () => {
    expect(codeOf(() => parseCode('ABCDE-FGH23', { allowRecovery: false }))).toBe('VALIDATION_FAILED');
  });
});

describe('parseUserId', () => {
  it('accepts a UUID (lower-cased) and refuses the rest', () => {
    expect(parseUserId('AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA')).toBe('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
    expect(codeOf(() => parseUserId(undefined))).toBe('MISSING_REQUIRED_FIELD');
    expect(codeOf(() => parseUserId('42'))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => parseUserId(42))).toBe('VALIDATION_FAILED');
  });
});
