import { describe, expect, it } from 'vitest';
import { codeOf } from '../../http/errors/failure-fixture.ts';
import { rejectPhone } from './phone.ts';


describe('rejectPhone', () => {
  it('answers 400 PHONE_PROVIDER_DISABLED for phone OTP', () => {
    expect(codeOf(() => rejectPhone({ phone: '+15550100' }))).toBe('PHONE_PROVIDER_DISABLED');
    expect(codeOf(() => rejectPhone({ email: 'a@b.co', type: 'sms' }))).toBe('PHONE_PROVIDER_DISABLED');
    expect(codeOf(() => rejectPhone({ email: 'a@b.co', type: 'phone_change' }))).toBe('PHONE_PROVIDER_DISABLED');
  });

  it('leaves email OTP and bodies of another shape to the route schema', () => {
    expect(codeOf(() => rejectPhone({ email: 'a@b.co', type: 'email' }))).toBeUndefined();
    for (const body of [undefined, null, [1], 'x', JSON.parse('{"__proto__": {"phone": "+1"}}')]) expect(codeOf(() => rejectPhone(body))).toBeUndefined();
  });
});
