import { describe, expect, it } from 'vitest';
import { AppError } from '../../http/index.ts';
import { ServiceRoleRevocation } from './service-role-revocation.ts';

describe('ServiceRoleRevocation', () => {
  it('accepts everything until a revocation is known', () => {
    const r = new ServiceRoleRevocation(() => Promise.resolve(null));
    expect(() => r.check({ role: 'service_role', iat: 1 })).not.toThrow();
  });

  it('refuses service-role JWTs issued before the cut-off (or without iat), with WWW-Authenticate', async () => {
    const r = new ServiceRoleRevocation(() => Promise.resolve(new Date(100_000)));
    await r.refresh();
    expect(r.cutoff).toBe(100);
    let err: unknown;
    try {
      r.check({ role: 'service_role', iat: 99 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('TOKEN_REVOKED');
    expect((err as AppError).headers['WWW-Authenticate']).toBe('Bearer error="invalid_token"');
    expect(() => r.check({ role: 'service_role' })).toThrow(AppError);
    expect(() => r.check({ role: 'service_role', iat: 100 })).not.toThrow();
    expect(() => r.check({ role: 'anon', iat: 1 })).not.toThrow();
  });

  it('never lowers the cut-off when a stale reload arrives', async () => {
    let stored: Date | null = new Date(50_000);
    const r = new ServiceRoleRevocation(() => Promise.resolve(stored));
    r.set(new Date(100_000));
    await r.refresh();
    expect(r.cutoff).toBe(100);
    stored = new Date(200_500);
    await r.refresh();
    expect(r.cutoff).toBe(201);
  });
});
