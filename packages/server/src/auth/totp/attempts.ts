// The per-user attempt limit (docs/auth.md "Attempt limit and lockout", hardening 1.2),
// computed from auth.two_factor_recovery_attempts so that every instance sees the same
// lock: when `max` counted failures fall within `window`, verification is locked for
// `lockout` from the last of them. A success or an admin unlock clears the earlier
// failures.
import type { ReservedSql } from '../../db/index.ts';
import type { ClientInfo } from '../core/types.ts';

export interface LockPolicy {
  maxAttempts: number;
  windowMs: number;
  lockoutMs: number;
}

export type CodeUsed = 'totp' | 'recovery_code' | 'password';
export type AttemptAction = 'verify' | 'disable' | 'recovery_codes';
export type FailureReason =
  | 'invalid_code' | 'code_already_used' | 'wrong_password' | 'locked' | 'no_pending_challenge' | 'invalid_challenge';

/** Reasons that count toward the lock: a code or password was actually tested. */
const COUNTED: ReadonlySet<FailureReason> = new Set(['invalid_code', 'code_already_used', 'wrong_password']);

export interface AttemptRecord {
  userId: string;
  codeUsed: CodeUsed;
  action: AttemptAction;
  client: ClientInfo;
  /** null: success. */
  failure: FailureReason | null;
}

/**
 * Serialise second-factor attempts of one user (within the caller's transaction), so that
 * parallel guesses cannot all pass the lock check before any failure is recorded.
 */
export async function lockUserAttempts(sql: ReservedSql, userId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`fluxbase.totp:${userId}`}, 0))`;
}

/** When the user's lock ends, or null when verification is open. */
export async function lockedUntil(sql: ReservedSql, userId: string, policy: LockPolicy): Promise<Date | null> {
  const [row] = await sql<{ until: Date | null }[]>`
    select max(attempted_at) + interval '1 millisecond' * ${policy.lockoutMs}::float8 as until
    from (
      select attempted_at, count(*) over (
               order by attempted_at
               range between interval '1 millisecond' * ${policy.windowMs}::float8 preceding and current row) as n
      from auth.two_factor_recovery_attempts
      where user_id = ${userId}::uuid and counted and cleared_at is null
        and attempted_at > now() - interval '1 millisecond' * ${policy.windowMs + policy.lockoutMs}::float8
    ) failures
    where n >= ${policy.maxAttempts}::int`;
  const until = row?.until ?? null;
  return until !== null && until.getTime() > Date.now() ? until : null;
}

/** Insert the attempt row (nothing for an unknown user id); returns its id. */
export async function recordAttempt(sql: ReservedSql, a: AttemptRecord): Promise<string | null> {
  const counted = a.failure !== null && COUNTED.has(a.failure);
  const [row] = await sql<{ id: string }[]>`
    insert into auth.two_factor_recovery_attempts
      (user_id, code_used, action, success, failure_reason, counted, ip_address, user_agent)
    select u.id, ${a.codeUsed}, ${a.action}, ${a.failure === null}, ${a.failure}, ${counted},
           ${a.client.ip || null}::inet, ${a.client.userAgent.slice(0, 512)}
    from auth.users u where u.id = ${a.userId}::uuid
    returning id`;
  if (a.failure === null) await clearFailures(sql, a.userId);
  return row?.id ?? null;
}

/** Lift the lock: earlier failures stop counting (the rows stay as the audit trail). */
export async function clearFailures(sql: ReservedSql, userId: string): Promise<number> {
  const rows = await sql`
    update auth.two_factor_recovery_attempts set cleared_at = now()
    where user_id = ${userId}::uuid and counted and cleared_at is null returning id`;
  return rows.length;
}

/** A success turned out void (its challenge vanished meanwhile): record it as a failure. */
export async function markAttemptFailed(sql: ReservedSql, id: string, reason: FailureReason): Promise<void> {
  await sql`
    update auth.two_factor_recovery_attempts
    set success = false, failure_reason = ${reason}, counted = ${COUNTED.has(reason)}
    where id = ${id}::bigint`;
}
