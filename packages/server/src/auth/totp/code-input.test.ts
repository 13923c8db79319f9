// Reading codes and user ids from request bodies: what is accepted, and the 400s.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError, parseInput } from '../../http/index.ts';
import { codeField, userIdField } from './code-input.ts';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : 'not an AppError';
  }
  return 'no error';
};
const Body = z.object({ code: codeField() });
const TotpOnly = z.object({ code: codeField({ allowRecovery: false }) });
const parseCode = (code: unknown) => parseInput(Body, { code }).code;

describe('codeField', () => {
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

  it('says what a code must be', () => {
    const err = (() => { try { parseCode(42); } catch (e) { return e as AppError; } })();
    expect(err?.details).toEqual({ fields: { code: 'must be a string of at most 64 characters' } });
  });

  it('refuses recovery codes where the current TOTP code is required', () => {
    expect(codeOf(() => parseInput(TotpOnly, { code: 'ABCDE-FGH23' }))).toBe('VALIDATION_FAILED');
  });
});

describe('userIdField', () => {
  const Ids = z.object({ user_id: userIdField() });
  it('accepts a UUID (lower-cased) and refuses the rest', () => {
    expect(parseInput(Ids, { user_id: 'AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA' }).user_id).toBe('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
    expect(codeOf(() => parseInput(Ids, {}))).toBe('MISSING_REQUIRED_FIELD');
    expect(codeOf(() => parseInput(Ids, { user_id: '42' }))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => parseInput(Ids, { user_id: 42 }))).toBe('VALIDATION_FAILED');
  });
});
