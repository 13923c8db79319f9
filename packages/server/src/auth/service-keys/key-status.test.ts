import { describe, expect, it } from 'vitest';
import { refusalReason, statusOf, toServiceKey, type ServiceKeyRow } from './key-status.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const past = new Date(NOW - 1000);
const future = new Date(NOW + 1000);
const base = { enabled: true, expires_at: null, deprecated_at: null, grace_period_ends_at: null, revoked_at: null };

describe('key status', () => {
  it.each([
    ['active', base, null],
    ['deprecated', { ...base, deprecated_at: past, grace_period_ends_at: future }, null],
    ['expired', { ...base, deprecated_at: past, grace_period_ends_at: past }, 'grace_period_ended'],
    ['expired', { ...base, expires_at: past }, 'expired'],
    ['active', { ...base, expires_at: future }, null],
    ['disabled', { ...base, enabled: false }, 'disabled'],
    ['revoked', { ...base, enabled: false, revoked_at: past, expires_at: past }, 'revoked'],
  ] as const)('%s ← %o (refusal %s)', (status, fields, reason) => {
    expect(statusOf(fields, NOW)).toBe(status);
    expect(refusalReason(fields, NOW)).toBe(reason);
  });

  it('renders the wire shape without the hash, times as RFC 3339', () => {
    const row: ServiceKeyRow = {
      id: 'k', name: 'n', description: null, key_prefix: 'sk_abc', scopes: ['*'], enabled: true, rate_limit_per_minute: 5,
      rate_limit_per_hour: null, created_by: 'service_role', created_at: past, updated_at: past, last_used_at: null, expires_at: future,
      deprecated_at: null, grace_period_ends_at: null, replaced_by: null, revoked_at: null, revocation_reason: null,
    };
    const wire = toServiceKey({ ...row, key_hash: Buffer.alloc(32) } as ServiceKeyRow, NOW);
    expect(wire).not.toHaveProperty('key_hash');
    expect(wire).not.toHaveProperty('key');
    expect(wire).toMatchObject({ status: 'active', created_at: past.toISOString(), expires_at: future.toISOString(), last_used_at: null });
  });
});
