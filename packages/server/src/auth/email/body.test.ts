import { describe, expect, it } from 'vitest';
import { isAppError } from '../../http/index.ts';
import { bodyOf, optionalBoolean, optionalObject, rejectPhone, requiredString } from './body.ts';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isAppError(err) ? err.code : 'not an AppError';
  }
};

describe('email route bodies', () => {
  it('reads a missing body as an empty object and refuses non-objects', () => {
    expect(bodyOf(undefined)).toEqual({});
    expect(codeOf(() => bodyOf([1]))).toBe('INVALID_REQUEST_BODY');
    expect(codeOf(() => bodyOf('x'))).toBe('INVALID_REQUEST_BODY');
  });

  it('requires strings of bounded length', () => {
    expect(requiredString({ token: 'abc' }, 'token')).toBe('abc');
    expect(codeOf(() => requiredString({}, 'token'))).toBe('MISSING_REQUIRED_FIELD');
    expect(codeOf(() => requiredString({ token: 5 }, 'token'))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => requiredString({ token: 'x'.repeat(2000) }, 'token'))).toBe('VALIDATION_FAILED');
  });

  it('type-checks options', () => {
    expect(optionalBoolean({ b: true }, 'b')).toBe(true);
    expect(optionalBoolean({}, 'b')).toBeUndefined();
    expect(codeOf(() => optionalBoolean({ b: 'yes' }, 'b'))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => optionalObject({ options: [] }, 'options'))).toBe('VALIDATION_FAILED');
  });

  it('answers 400 PHONE_PROVIDER_DISABLED for phone OTP', () => {
    expect(codeOf(() => rejectPhone({ phone: '+15550100' }))).toBe('PHONE_PROVIDER_DISABLED');
    expect(codeOf(() => rejectPhone({ email: 'a@b.co', type: 'sms' }))).toBe('PHONE_PROVIDER_DISABLED');
    expect(codeOf(() => rejectPhone({ email: 'a@b.co', type: 'email' }))).toBeUndefined();
  });
});
