import { describe, expect, it } from 'vitest';
import { AppError, MemoryRateLimitStore, type RateLimitStore } from '../../http/index.ts';
import { createLogger } from '../../observability/index.ts';
import { generateKey } from './key-format.ts';
import type { ServiceKeyRow } from './key-status.ts';
import type { RowWithHash } from './key-store.ts';
import { KeyVerifier, type KeyVerifierOptions } from './key-verifier.ts';

const logger = createLogger({ level: 'silent', format: 'json' });

function row(overrides: Partial<ServiceKeyRow> = {}): ServiceKeyRow {
  return {
    id: '00000000-0000-4000-8000-000000000001', name: 'ci', description: null, key_prefix: '', scopes: ['*'], enabled: true,
    rate_limit_per_minute: null, rate_limit_per_hour: null, created_by: 'service_role', created_at: new Date(0), updated_at: new Date(0),
    last_used_at: null, expires_at: null, deprecated_at: null, grace_period_ends_at: null, replaced_by: null, revoked_at: null,
    revocation_reason: null, ...overrides,
  };
}

function setup(overrides: Partial<ServiceKeyRow> = {}, options: Partial<KeyVerifierOptions> = {}) {
  const fresh = generateKey();
  const state = { row: { ...row(overrides), key_prefix: fresh.prefix, key_hash: fresh.hash } as RowWithHash, lookups: 0, touches: 0, now: 1_000_000 };
  const verifier = new KeyVerifier({
    lookup: (prefix) => {
      state.lookups++;
      return Promise.resolve(prefix === state.row.key_prefix ? [state.row] : []);
    },
    touch: () => {
      state.touches++;
      return Promise.resolve();
    },
    rateLimitStore: new MemoryRateLimitStore(1000, () => state.now),
    logger,
    now: () => state.now,
    ...options,
  });
  return { key: fresh.key, verifier, state };
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('KeyVerifier', () => {
  it('turns a valid key into a service_key principal with the service-role claims', async () => {
    const { key, verifier } = setup({ name: 'ci', scopes: ['read:tables'] });
    const p = await verifier.verify(key);
    expect(p).toEqual({
      kind: 'service_key', role: 'service_role', userId: null, keyId: '00000000-0000-4000-8000-000000000001', scopes: ['read:tables'], token: key,
      claims: { iss: 'fluxbase', role: 'service_role', key_id: '00000000-0000-4000-8000-000000000001', key_name: 'ci', scopes: ['read:tables'] },
    });
  });

  it.each([
    ['sk_short'],
    ['sk_' + 'a'.repeat(42) + '!'],
    ['xx_' + 'a'.repeat(43)],
  ])('refuses malformed key %s without a lookup', async (bad) => {
    const { verifier, state } = setup();
    const err = await refusal(verifier.verify(bad));
    expect(err.code).toBe('INVALID_API_KEY');
    expect(err.details).toEqual({ reason: 'malformed' });
    expect(state.lookups).toBe(0);
  });

  it('refuses an unknown key, and a key whose prefix matches but hash does not', async () => {
    const { key, verifier } = setup();
    const other = generateKey().key;
    expect((await refusal(verifier.verify(other))).details).toEqual({ reason: 'unknown' });
    const samePrefix = key.slice(0, 16) + (key[16] === 'A' ? 'B' : 'A') + key.slice(17);
    expect((await refusal(verifier.verify(samePrefix))).details).toEqual({ reason: 'unknown' });
  });

  it.each([
    ['revoked', { revoked_at: new Date(1) }],
    ['expired', { expires_at: new Date(999_999) }],
    ['grace_period_ended', { deprecated_at: new Date(1), grace_period_ends_at: new Date(1_000_000) }],
    ['disabled', { enabled: false }],
  ] as const)('refuses a %s key with that reason', async (reason, overrides) => {
    const { key, verifier } = setup(overrides);
    const err = await refusal(verifier.verify(key));
    expect(err.status).toBe(401);
    expect(err.details).toEqual({ reason });
  });

  it('accepts a deprecated key during its grace period, refuses it after', async () => {
    const { key, verifier, state } = setup({ deprecated_at: new Date(1), grace_period_ends_at: new Date(1_000_500) });
    await expect(verifier.verify(key)).resolves.toMatchObject({ kind: 'service_key' });
    state.now = 1_000_500;
    expect((await refusal(verifier.verify(key))).details).toEqual({ reason: 'grace_period_ended' });
  });

  it('caches a verified row for the TTL, and invalidate() drops it at once', async () => {
    const { key, verifier, state } = setup({}, { cacheTtlMs: 4000 });
    await verifier.verify(key);
    await verifier.verify(key);
    expect(state.lookups).toBe(1);
    state.row = { ...state.row, revoked_at: new Date(1) };
    await verifier.verify(key); // still cached
    verifier.invalidate();
    expect((await refusal(verifier.verify(key))).details).toEqual({ reason: 'revoked' });
    expect(state.lookups).toBe(2);
  });

  it('re-reads the row once the TTL has passed', async () => {
    const { key, verifier, state } = setup({}, { cacheTtlMs: 4000 });
    await verifier.verify(key);
    state.row = { ...state.row, enabled: false };
    state.now += 4000;
    expect((await refusal(verifier.verify(key))).details).toEqual({ reason: 'disabled' });
  });

  it('records use at most once per interval per key', async () => {
    const { key, verifier, state } = setup({}, { touchIntervalMs: 60_000 });
    for (let i = 0; i < 5; i++) await verifier.verify(key);
    expect(state.touches).toBe(1);
    state.now += 60_000;
    await verifier.verify(key);
    expect(state.touches).toBe(2);
  });

  it('enforces rate_limit_per_minute with a 429 naming the limiter', async () => {
    const { key, verifier, state } = setup({ rate_limit_per_minute: 2 });
    await verifier.verify(key);
    await verifier.verify(key);
    const err = await refusal(verifier.verify(key));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.details).toEqual({ limiter: 'service_key', limit: 2, window_seconds: 60 });
    expect(err.headers['Retry-After']).toBe('60');
    state.now += 60_000;
    await expect(verifier.verify(key)).resolves.toMatchObject({ kind: 'service_key' });
  });

  it('enforces rate_limit_per_hour', async () => {
    const { key, verifier } = setup({ rate_limit_per_hour: 1 });
    await verifier.verify(key);
    const err = await refusal(verifier.verify(key));
    expect(err.details).toEqual({ limiter: 'service_key', limit: 1, window_seconds: 3600 });
  });

  it('keeps limiting on this instance when the shared store fails', async () => {
    const broken: RateLimitStore = { hit: () => Promise.reject(new Error('redis down')) };
    const { key, verifier } = setup({ rate_limit_per_minute: 1 }, { rateLimitStore: broken });
    await verifier.verify(key);
    expect((await refusal(verifier.verify(key))).code).toBe('RATE_LIMITED');
  });
});
