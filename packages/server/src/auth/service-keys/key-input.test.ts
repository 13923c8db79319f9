import { describe, expect, it } from 'vitest';
import { AppError } from '../../http/index.ts';
import { parseCreate, parseDeprecate, parseKeyId, parsePatch, parseReason, parseRotate } from './key-input.ts';

function failure(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a failure');
}

describe('service key input', () => {
  it('fills create defaults', () => {
    expect(parseCreate({ name: '  ci  ' })).toEqual({
      name: 'ci', description: null, scopes: ['*'], rateLimitPerMinute: null, rateLimitPerHour: null, expiresAt: null,
    });
  });

  it('accepts a full create body', () => {
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    expect(parseCreate({ name: 'ci', description: 'd', scopes: ['read:tables', 'read:tables'], rate_limit_per_minute: 5, rate_limit_per_hour: 100, expires_at: expires }))
      .toEqual({ name: 'ci', description: 'd', scopes: ['read:tables'], rateLimitPerMinute: 5, rateLimitPerHour: 100, expiresAt: new Date(expires) });
  });

  it('names a missing name', () => {
    const err = failure(() => parseCreate({}));
    expect(err.code).toBe('MISSING_REQUIRED_FIELD');
    expect(err.details).toEqual({ field: 'name' });
  });

  it.each([
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(201) }, 'name'],
    [{ name: 5 }, 'name'],
    [{ name: 'a', scopes: ['read:everything'] }, 'scopes'],
    [{ name: 'a', scopes: [] }, 'scopes'],
    [{ name: 'a', scopes: 'read:tables' }, 'scopes'],
    [{ name: 'a', rate_limit_per_minute: 0 }, 'rate_limit_per_minute'],
    [{ name: 'a', rate_limit_per_hour: 1.5 }, 'rate_limit_per_hour'],
    [{ name: 'a', rate_limit_per_hour: '10' }, 'rate_limit_per_hour'],
    [{ name: 'a', expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
    [{ name: 'a', expires_at: '2999-01-01' }, 'expires_at'],
    [{ name: 'a', expires_at: 'tomorrow' }, 'expires_at'],
  ])('refuses %o with VALIDATION_FAILED on %s', (body, field) => {
    const err = failure(() => parseCreate(body));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(Object.keys((err.details as { fields: object }).fields)).toEqual([field]);
  });

  it.each([[null], [[1]], ['text']])('refuses a non-object body %o', (body) => {
    expect(failure(() => parseCreate(body)).code).toBe('INVALID_REQUEST_BODY');
  });

  it('parses a patch and refuses an empty one', () => {
    expect(parsePatch({ enabled: false, description: null, rate_limit_per_hour: null })).toEqual({ enabled: false, description: null, rateLimitPerHour: null });
    expect(failure(() => parsePatch({ unknown: 1 })).code).toBe('VALIDATION_FAILED');
    expect(failure(() => parsePatch({ enabled: 'yes' })).code).toBe('VALIDATION_FAILED');
  });

  it('bounds the grace period to 0..720 hours, default 24', () => {
    expect(parseDeprecate(undefined)).toEqual({ reason: 'Key rotation', graceHours: 24 });
    expect(parseRotate({ grace_period_hours: 0 }).graceHours).toBe(0);
    expect(parseRotate({ grace_period_hours: 720 }).graceHours).toBe(720);
    for (const bad of [721, -1, 1.5, '24']) {
      const err = failure(() => parseRotate({ grace_period_hours: bad }));
      expect(err.details).toEqual({ fields: { grace_period_hours: 'must be an integer from 0 to 720' } });
    }
    expect(failure(() => parseRotate({ new_scopes: ['nope'] })).code).toBe('VALIDATION_FAILED');
  });

  it('requires a reason for revocation', () => {
    expect(parseReason({ reason: ' leaked ' })).toBe('leaked');
    expect(failure(() => parseReason({})).code).toBe('MISSING_REQUIRED_FIELD');
    expect(failure(() => parseReason(undefined)).code).toBe('INVALID_REQUEST_BODY');
  });

  it('accepts UUID ids only', () => {
    expect(parseKeyId('AAAAAAAA-0000-4000-8000-000000000001')).toBe('aaaaaaaa-0000-4000-8000-000000000001');
    for (const bad of ['1', 'not-a-uuid', "x' or 1=1"]) expect(failure(() => parseKeyId(bad)).code).toBe('INVALID_ID');
  });
});
