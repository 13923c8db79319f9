// Email addresses as stored and compared: NFC, trimmed, lower case, a pragmatic syntax
// check (one @, a dotted domain, no spaces or control characters), at most 254 characters.
import { AppError } from '../../http/index.ts';

const EMAIL = /^[^\s@"<>()[\]\\,;:\p{Cc}]+@[^\s@"<>()[\]\\,;:\p{Cc}_]+\.[^\s@"<>()[\]\\,;:\p{Cc}_]+$/u;

export function normalizeEmail(value: unknown, field = 'email'): string {
  if (value === undefined || value === null || value === '') {
    throw new AppError('MISSING_REQUIRED_FIELD', { message: `${field} is required`, details: { field } });
  }
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  const email = value.normalize('NFC').trim().toLowerCase();
  if (email.length > 254) throw invalid(field, 'is longer than 254 characters');
  if (!EMAIL.test(email)) throw invalid(field, 'is not a valid email address');
  const [local] = email.split('@') as [string];
  if (local.length > 64 || local.startsWith('.') || local.endsWith('.') || email.includes('..')) throw invalid(field, 'is not a valid email address');
  return email;
}

function invalid(field: string, problem: string): AppError {
  return new AppError('VALIDATION_FAILED', { message: `${field} ${problem}`, details: { fields: { [field]: problem } } });
}
