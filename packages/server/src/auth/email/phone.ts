// The phone variants of the OTP routes: sending SMS needs a provider, and none can be
// configured yet, so they are refused with 400 PHONE_PROVIDER_DISABLED (Supabase answers
// the same) before the body is otherwise read.
import { AppError } from '../../http/index.ts';

const PHONE_TYPES = new Set(['sms', 'phone', 'phone_change']);

export function rejectPhone(body: unknown): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return; // the route's schema reports the shape
  const b = body as Record<string, unknown>;
  if ((Object.hasOwn(b, 'phone') && b.phone !== undefined) || (typeof b.type === 'string' && PHONE_TYPES.has(b.type))) {
    throw new AppError('PHONE_PROVIDER_DISABLED', {
      message: 'Phone sign-in needs an SMS provider, and this server has none; sign in with an email address instead',
      details: { feature: 'phone_otp' },
      hint: 'GET /api/v1/auth/config lists the sign-in methods this server offers (phone: false)',
    });
  }
}
