// One guarded second-factor attempt: serialise the user's attempts, refuse while locked
// (429 TOTP_ATTEMPTS_EXCEEDED + Retry-After), run the check, record the attempt with IP
// and user agent, commit, and only then answer a failure, so the failure row survives.
import type { ReservedSql } from '../../db/index.ts';
import { AppError } from '../../http/index.ts';
import { authTx } from '../core/db.ts';
import type { AuthDeps } from '../deps.ts';
import type { ClientInfo } from '../core/types.ts';
import {
  lockedUntil, lockUserAttempts, recordAttempt,
  type AttemptAction, type CodeUsed, type FailureReason, type LockPolicy,
} from './attempts.ts';

export interface AttemptInput {
  userId: string;
  client: ClientInfo;
  action: AttemptAction;
  codeUsed: CodeUsed;
}

export function lockPolicy(deps: AuthDeps): LockPolicy {
  const a = deps.config.auth;
  return { maxAttempts: a.totp_max_attempts, windowMs: a.totp_attempt_window, lockoutMs: a.totp_lockout_duration };
}

export function lockedError(until: Date, policy: LockPolicy): AppError {
  const retryAfter = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
  return new AppError('TOTP_ATTEMPTS_EXCEEDED', {
    message: `Too many failed 2FA attempts; retry in ${retryAfter} seconds`,
    details: {
      max_attempts: policy.maxAttempts,
      window_seconds: Math.round(policy.windowMs / 1000),
      lockout_seconds: Math.round(policy.lockoutMs / 1000),
      locked_until: until.toISOString(),
    },
    headers: { 'Retry-After': String(retryAfter) },
    extra: { retry_after: retryAfter },
  });
}

export function failureError(reason: FailureReason): AppError {
  switch (reason) {
    case 'wrong_password':
      return new AppError('INVALID_CREDENTIALS', { message: 'The password is wrong' });
    case 'code_already_used':
      return new AppError('INVALID_2FA_CODE', { message: 'This code was already used; wait for the next one', details: { reason } });
    case 'no_pending_challenge':
      return new AppError('INVALID_2FA_CODE', { message: 'No pending 2FA challenge; sign in first', details: { reason } });
    case 'invalid_challenge':
      return new AppError('INVALID_2FA_CODE', { message: 'The challenge token is unknown, used or expired', details: { reason } });
    case 'locked':
    case 'invalid_code':
      return new AppError('INVALID_2FA_CODE', { message: 'The 2FA code is wrong', details: { reason: 'invalid_code' } });
  }
}

/**
 * Run `check` (null = success) under the user's attempt lock. Returns the id of the success
 * row; throws the matching 4xx after the attempt has been committed.
 */
export async function guardedAttempt(
  deps: AuthDeps, input: AttemptInput, check: (sql: ReservedSql) => Promise<FailureReason | null>,
): Promise<string | null> {
  const policy = lockPolicy(deps);
  const outcome = await authTx(deps.db.pool, async (sql) => {
    await lockUserAttempts(sql, input.userId);
    const until = await lockedUntil(sql, input.userId, policy);
    if (until !== null) {
      await recordAttempt(sql, { ...input, failure: 'locked' });
      return { kind: 'locked' as const, until };
    }
    const failure = await check(sql);
    const id = await recordAttempt(sql, { ...input, failure });
    return failure === null ? { kind: 'ok' as const, id } : { kind: 'failed' as const, failure };
  });
  if (outcome.kind === 'locked') throw lockedError(outcome.until, policy);
  if (outcome.kind === 'failed') throw failureError(outcome.failure);
  return outcome.id;
}
