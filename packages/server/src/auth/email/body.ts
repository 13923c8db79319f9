// Reading the JSON bodies of the email routes: every field is type-checked here and a
// wrong shape is a 400 naming the field, never a 500 further down.
import { AppError } from '../../http/index.ts';
import { invalidField, objectOrEmpty, type Body } from '../core/body.ts';

export { invalidField, type Body };
/** The parsed body as an object; no body reads as `{}` so required fields report themselves. */
export const bodyOf = objectOrEmpty;

export function requiredString(body: Body, field: string, maxLength = 1024): string {
  const value = body[field];
  if (value === undefined || value === null || value === '') {
    throw new AppError('MISSING_REQUIRED_FIELD', { message: `${field} is required`, details: { field } });
  }
  if (typeof value !== 'string') throw invalidField(field, 'must be a string');
  if (value.length > maxLength) throw invalidField(field, `must be at most ${maxLength} characters`);
  return value;
}

export function optionalString(body: Body, field: string, maxLength = 1024): string | undefined {
  if (body[field] === undefined || body[field] === null) return undefined;
  return requiredString(body, field, maxLength);
}

export function optionalBoolean(body: Body, field: string, path = field): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidField(path, 'must be true or false');
  return value;
}

export function optionalObject(body: Body, field: string): Body | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidField(field, 'must be an object');
  return value as Body;
}

/** 400 for the phone variants of the OTP routes: sending SMS needs a provider, and none can be configured yet (Supabase answers the same). */
export function rejectPhone(body: Body): void {
  const type = body.type;
  if (body.phone !== undefined || type === 'sms' || type === 'phone' || type === 'phone_change') {
    throw new AppError('PHONE_PROVIDER_DISABLED', {
      message: 'Phone sign-in needs an SMS provider, and this server has none; sign in with an email address instead',
      details: { feature: 'phone_otp' },
      hint: 'GET /api/v1/auth/config lists the sign-in methods this server offers (phone: false)',
    });
  }
}
