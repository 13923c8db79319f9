// fluxbase_auth_attempts_total{method,result} (API.md §14; docs/auth.md "Metrics"): one count per
// sign-in attempt at the routes that can start a session. Both labels come from fixed sets,
// never from the request, so a flood of attempts cannot grow the series count.
import { AppError } from '../../http/index.ts';
import type { Metrics } from '../../observability/index.ts';

export type AuthAttemptMethod = 'password' | 'magic_link' | 'otp' | 'oauth' | 'id_token' | 'anonymous' | 'refresh' | 'totp';

/**
 * success: a session (or the 2FA challenge after a correct password) was answered; failure: the
 * caller's input was refused (wrong credentials, bad or expired token, feature off), or the OAuth
 * provider refused (the user cancelled, the code was spent); locked: the account or factor is
 * locked after repeated failures; rate_limited: a rate limit answered 429; error: the server or
 * a dependency failed (5xx), which says nothing about the caller.
 */
export type AuthAttemptResult = 'success' | 'failure' | 'locked' | 'rate_limited' | 'error';

/** Which result a failed attempt counts as. */
export function attemptResultOf(err: unknown): AuthAttemptResult {
  if (!(err instanceof AppError)) return 'error';
  if (err.code === 'ACCOUNT_LOCKED' || err.code === 'TOTP_ATTEMPTS_EXCEEDED') return 'locked';
  if (err.status === 429) return 'rate_limited';
  // A 502 carrying the provider's own OAuth error is the provider saying no, not it failing.
  if (err.code === 'OAUTH_PROVIDER_ERROR' && err.details?.provider_error !== undefined) return 'failure';
  return err.status >= 500 ? 'error' : 'failure';
}

/** Runs one sign-in attempt and counts its result; the attempt's answer or error passes through. */
export async function countedAttempt<T>(metrics: Pick<Metrics, 'authAttempts'>, method: AuthAttemptMethod, attempt: () => Promise<T>): Promise<T> {
  try {
    const result = await attempt();
    metrics.authAttempts.inc({ method, result: 'success' });
    return result;
  } catch (err) {
    metrics.authAttempts.inc({ method, result: attemptResultOf(err) });
    throw err;
  }
}
