import { describe, expect, it } from 'vitest';
import { AppError } from '../../http/index.ts';
import { createMetrics } from '../../observability/index.ts';
import { attemptResultOf, countedAttempt } from './attempts.ts';

describe('fluxbase_auth_attempts_total', () => {
  it('maps an attempt\'s error to one of the fixed results', () => {
    expect(attemptResultOf(new AppError('INVALID_CREDENTIALS'))).toBe('failure');
    expect(attemptResultOf(new AppError('INVALID_REQUEST_BODY'))).toBe('failure');
    expect(attemptResultOf(new AppError('ACCOUNT_LOCKED'))).toBe('locked');
    expect(attemptResultOf(new AppError('TOTP_ATTEMPTS_EXCEEDED'))).toBe('locked');
    expect(attemptResultOf(new AppError('RATE_LIMITED'))).toBe('rate_limited');
    expect(attemptResultOf(new AppError('SERVICE_UNAVAILABLE'))).toBe('error');
    expect(attemptResultOf(new AppError('OAUTH_PROVIDER_ERROR', { details: { provider: 'github' } }))).toBe('error');
    expect(attemptResultOf(new AppError('OAUTH_PROVIDER_ERROR', { details: { provider: 'github', provider_error: 'access_denied' } }))).toBe('failure');
    expect(attemptResultOf(new TypeError('boom'))).toBe('error');
  });

  it('counts each attempt once and passes its answer or error through', async () => {
    const metrics = createMetrics({ processMetrics: false });
    await expect(countedAttempt(metrics, 'password', () => Promise.resolve('session'))).resolves.toBe('session');
    const refused = new AppError('INVALID_CREDENTIALS');
    await expect(countedAttempt(metrics, 'password', () => Promise.reject(refused))).rejects.toBe(refused);
    await expect(countedAttempt(metrics, 'refresh', () => Promise.reject(new AppError('RATE_LIMITED')))).rejects.toThrow(AppError);
    const values = (await metrics.authAttempts.get()).values.map((v) => [v.labels.method, v.labels.result, v.value]);
    expect(values).toEqual([['password', 'success', 1], ['password', 'failure', 1], ['refresh', 'rate_limited', 1]]);
  });
});
