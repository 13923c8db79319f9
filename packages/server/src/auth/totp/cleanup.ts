// Periodic pruning of TOTP rows that can no longer matter: setups an hour past their
// expiry, and attempt rows past the audit retention (the lock itself needs only
// totp_attempt_window + totp_lockout_duration of history).
import type { Pool } from '../../db/index.ts';
import { authQuery } from '../core/db.ts';

/** Attempt rows are kept this long as the audit trail (default 90 days). */
export const ATTEMPT_RETENTION_DAYS = 90;

export async function deleteExpiredTotpRows(pool: Pool, retentionDays = ATTEMPT_RETENTION_DAYS): Promise<void> {
  await authQuery(pool, async (sql) => {
    await sql`delete from auth.totp_setups where expires_at < now() - interval '1 hour'`;
    await sql`delete from auth.two_factor_recovery_attempts where attempted_at < now() - interval '1 day' * ${retentionDays}::int`;
  });
}
