// auth.login_attempts, the per-email failure count and lock of password sign-in
// (docs/auth.md "Users and passwords"). The count is kept per address whether or not an
// account uses it, so a lock tells nothing about which addresses exist.
import type { Pool } from '../../db/index.ts';
import { authQuery } from './db.ts';
import type { UserRow } from './types.ts';
import { USER_COLUMNS } from './users.ts';

export interface SignInCandidate {
  /** The account using the address, if any. */
  user: UserRow | undefined;
  /** Seconds until the lock ends, when the address is locked now. */
  retryAfterSeconds: number | undefined;
  /** Whether failures are on record (a success clears them). */
  hasAttempts: boolean;
}

const PREFIXED_COLUMNS = USER_COLUMNS.replace(/(^|,\s*)/g, '$1u.');

/** The account and the lock of one address in one round trip (the address may have neither). */
export async function findSignInCandidate(pool: Pool, email: string): Promise<SignInCandidate> {
  const [found] = await authQuery(pool, (sql) => sql<(Partial<UserRow> & { retry_s: number | null; has_attempts: boolean })[]>`
    select ${sql.unsafe(PREFIXED_COLUMNS)},
           case when a.locked_until > now() then ceil(extract(epoch from a.locked_until - now()))::int end as retry_s,
           a.email is not null as has_attempts
    from (select ${email}::text as email) e
    left join auth.users u on u.email = e.email
    left join auth.login_attempts a on a.email = e.email`);
  if (!found) return { user: undefined, retryAfterSeconds: undefined, hasAttempts: false };
  const { retry_s, has_attempts, ...row } = found;
  return {
    user: typeof row.id === 'string' ? (row as UserRow) : undefined,
    retryAfterSeconds: typeof retry_s === 'number' ? retry_s : undefined,
    hasAttempts: has_attempts,
  };
}

/**
 * Count one failure for the address (a lock that has run out starts the count over) and
 * lock it for `lockoutMs` at `maxAttempts`. Returns whether the address is locked now.
 */
export async function recordFailedSignIn(pool: Pool, email: string, maxAttempts: number, lockoutMs: number): Promise<boolean> {
  const [row] = await authQuery(pool, (sql) => sql<{ locked: boolean }[]>`
    insert into auth.login_attempts as a (email, failed_count, last_failed_at)
    values (${email}, 1, now())
    on conflict (email) do update set
      failed_count = case when a.locked_until is not null and a.locked_until <= now() then 1 else a.failed_count + 1 end,
      last_failed_at = now(),
      locked_until = case
        when (case when a.locked_until is not null and a.locked_until <= now() then 1 else a.failed_count + 1 end) >= ${maxAttempts}
        then now() + interval '1 millisecond' * ${lockoutMs}::float8 else null end
    returning locked_until is not null as locked`);
  return row?.locked === true;
}

/** After a successful sign-in: forget the address's failures and, when given, store the upgraded password hash. */
export async function recordSuccessfulSignIn(pool: Pool, email: string, rehash?: { userId: string; hash: string }): Promise<void> {
  await authQuery(pool, async (sql) => {
    await sql`delete from auth.login_attempts where email = ${email}`;
    if (rehash) await sql`update auth.users set encrypted_password = ${rehash.hash} where id = ${rehash.userId}::uuid`;
  });
}
