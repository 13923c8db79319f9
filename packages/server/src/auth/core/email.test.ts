// Email addresses in route schemas and elsewhere: one rule, the same 400s.
import { describe, expect, it } from 'vitest';
import { failure } from '../../http/errors/failure-fixture.ts';
import { z } from 'zod';
import { parseInput } from '../../http/index.ts';
import { emailField, normalizeEmail } from './email.ts';

const Body = z.object({ email: emailField() });

describe('emailField', () => {
  it('normalises: NFC, trimmed, lower case', () => {
    expect(parseInput(Body, { email: '  Ann@Example.COM ' }).email).toBe('ann@example.com');
    expect(normalizeEmail('  Ann@Example.COM ')).toBe('ann@example.com');
  });

  it.each([
    [undefined, 'MISSING_REQUIRED_FIELD', 'email is required'],
    ['', 'MISSING_REQUIRED_FIELD', 'email is required'],
    [42, 'VALIDATION_FAILED', 'email must be a string'],
    [['a@example.com'], 'VALIDATION_FAILED', 'email must be a string'],
    ['not-an-email', 'VALIDATION_FAILED', 'email is not a valid email address'],
    ['a..b@example.com', 'VALIDATION_FAILED', 'email is not a valid email address'],
    [`${'a'.repeat(250)}@example.com`, 'VALIDATION_FAILED', 'email is longer than 254 characters'],
    ['a@example.com\r\nBcc: v@example.com', 'VALIDATION_FAILED', 'email is not a valid email address'],
  ])('%j → %s, as normalizeEmail answers', (email, code, message) => {
    const viaSchema = failure(() => parseInput(Body, { email }));
    expect({ code: viaSchema.code, message: viaSchema.message }).toEqual({ code, message });
    const direct = failure(() => normalizeEmail(email));
    expect({ code: direct.code, message: direct.message, details: direct.details }).toEqual({ code, message, details: viaSchema.details });
  });
});
