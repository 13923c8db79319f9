// Email addresses as stored and compared: NFC, trimmed, lower case, a pragmatic syntax
// check (one @, a dotted domain, no spaces or control characters), at most 254 characters.
// `emailField` is the same rule as a zod field for route schemas.
import { z } from 'zod';
import { field, invalidField, LIMITS, missingField } from '../../http/index.ts';

const EMAIL = /^[^\s@"<>()[\]\\,;:\p{Cc}]+@[^\s@"<>()[\]\\,;:\p{Cc}_]+\.[^\s@"<>()[\]\\,;:\p{Cc}_]+$/u;

/** The stored form of `value`, or the problem with it (`<field> <problem>`). */
function checkEmail(value: string): { email: string } | { problem: string } {
  const email = value.normalize('NFC').trim().toLowerCase();
  if (email.length > LIMITS.email) return { problem: `is longer than ${LIMITS.email} characters` };
  const [local] = email.split('@') as [string];
  if (!EMAIL.test(email) || local.length > 64 || local.startsWith('.') || local.endsWith('.') || email.includes('..')) {
    return { problem: 'is not a valid email address' };
  }
  return { email };
}

export function normalizeEmail(value: unknown, name = 'email'): string {
  if (value === undefined || value === null || value === '') throw missingField(name);
  if (typeof value !== 'string') throw invalidField(name, 'must be a string');
  const checked = checkEmail(value);
  if ('problem' in checked) throw invalidField(name, checked.problem);
  return checked.email;
}

/** A required email address, normalised (absent, null and '' are "is required"). */
export function emailField() {
  // The raw string is bounded by the route's body limit; the normalised one by LIMITS.email.
  return field.text(Infinity).transform((value, ctx) => {
    const checked = checkEmail(value);
    if ('email' in checked) return checked.email;
    ctx.addIssue({ code: 'custom', message: checked.problem, input: value });
    return z.NEVER;
  });
}
