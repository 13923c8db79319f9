// Periodic deletion of what can no longer be used: sessions past their refresh expiry or
// ended more than a day ago, consumed or expired one-time tokens and challenges, and
// lockout rows whose lock ran out long ago. Keeps the auth tables bounded.
import type { Pool } from '../../db/index.ts';
import { authQuery } from './db.ts';

export async function deleteExpiredAuthRows(pool: Pool): Promise<void> {
  await authQuery(pool, async (sql) => {
    await sql`delete from auth.sessions where expires_at < now() - interval '1 day' or revoked_at < now() - interval '1 day'`;
    await sql`delete from auth.one_time_tokens where expires_at < now() - interval '1 hour'`;
    await sql`delete from auth.mfa_challenges where expires_at < now() - interval '1 hour'`;
    await sql`delete from auth.login_attempts where coalesce(locked_until, last_failed_at) < now() - interval '1 day'`;
  });
}
