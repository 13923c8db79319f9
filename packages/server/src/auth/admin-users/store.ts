// SQL for admin user management: search with paging, field updates, deletion, sessions listing.
// Lock fields come from auth.login_attempts (kept per email).
import type { Pool } from '../../db/index.ts';
import { authQuery } from '../core/db.ts';
import type { AdminUser, UserRow } from '../core/types.ts';
import { toAdminUser, USER_COLUMNS } from '../core/users.ts';

type LockedRow = UserRow & { failed_count: number | null; locked_until: Date | null };

const prefixed = USER_COLUMNS.replace(/(^|,\s*)/g, '$1u.');

export function adminUser(row: LockedRow): AdminUser {
  const { failed_count, locked_until, ...user } = row;
  return toAdminUser(user, { failed_count: failed_count ?? 0, locked_until });
}

export async function searchUsers(pool: Pool, search: string, limit: number, offset: number): Promise<{ users: AdminUser[]; total: number }> {
  // Substring search on email and the metadata name, escaped for LIKE.
  const pattern = search === '' ? null : `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return authQuery(pool, async (sql) => {
    const rows = await sql<(LockedRow & { total: number })[]>`
      select ${sql.unsafe(prefixed)}, a.failed_count, a.locked_until, count(*) over ()::int as total
      from auth.users u left join auth.login_attempts a on a.email = u.email
      where ${pattern}::text is null or u.email ilike ${pattern} or u.user_metadata ->> 'name' ilike ${pattern} or u.id::text = ${search}
      order by u.created_at desc, u.id
      limit ${limit} offset ${offset}`;
    let total = rows[0]?.total;
    if (total === undefined) {
      const [c] = await sql<{ n: number }[]>`
        select count(*)::int as n from auth.users u
        where ${pattern}::text is null or u.email ilike ${pattern} or u.user_metadata ->> 'name' ilike ${pattern} or u.id::text = ${search}`;
      total = c?.n ?? 0;
    }
    return { users: rows.map(({ total: _t, ...r }) => adminUser(r)), total };
  });
}

export async function getAdminUser(pool: Pool, id: string): Promise<AdminUser | undefined> {
  const [row] = await authQuery(pool, (sql) => sql<LockedRow[]>`
    select ${sql.unsafe(prefixed)}, a.failed_count, a.locked_until
    from auth.users u left join auth.login_attempts a on a.email = u.email where u.id = ${id}::uuid`);
  return row ? adminUser(row) : undefined;
}

export interface UserPatch {
  email?: string;
  passwordHash?: string;
  emailVerified?: boolean;
  role?: string;
  userMetadata?: Record<string, unknown>;
  appMetadata?: Record<string, unknown>;
  /** Date: banned until; null: lift the ban. */
  bannedUntil?: Date | null;
}

/** Apply the given fields (metadata replaced, as an admin sets it); undefined when no such user. */
export async function updateUser(pool: Pool, id: string, p: UserPatch): Promise<boolean> {
  const rows = await authQuery(pool, (sql) => sql`
    update auth.users set
      email = coalesce(${p.email ?? null}, email),
      new_email = case when ${p.email ?? null}::text is null then new_email else null end,
      encrypted_password = coalesce(${p.passwordHash ?? null}, encrypted_password),
      email_verified = coalesce(${p.emailVerified ?? null}::boolean, email_verified),
      email_verified_at = case when ${p.emailVerified ?? null}::boolean then coalesce(email_verified_at, now())
                               when ${p.emailVerified ?? null}::boolean = false then null else email_verified_at end,
      role = coalesce(${p.role ?? null}, role),
      user_metadata = coalesce(${p.userMetadata === undefined ? null : sql.json(p.userMetadata as never)}::jsonb, user_metadata),
      app_metadata = coalesce(${p.appMetadata === undefined ? null : sql.json(p.appMetadata as never)}::jsonb, app_metadata),
      banned_until = case when ${p.bannedUntil !== undefined}::boolean then ${p.bannedUntil ?? null}::timestamptz else banned_until end,
      is_anonymous = case when ${p.email ?? null}::text is null then is_anonymous else false end,
      updated_at = now()
    where id = ${id}::uuid
    returning id`);
  return rows.length === 1;
}

/** Delete the user (the rows that reference it go by cascade); false when there was none. */
export async function deleteUser(pool: Pool, id: string): Promise<boolean> {
  const rows = await authQuery(pool, (sql) => sql`delete from auth.users where id = ${id}::uuid returning id`);
  return rows.length > 0;
}

export interface SessionInfo {
  id: string;
  created_at: string;
  refreshed_at: string | null;
  user_agent: string | null;
  ip: string | null;
  aal: string;
}

export async function listSessions(pool: Pool, userId: string): Promise<SessionInfo[]> {
  const rows = await authQuery(pool, (sql) => sql<{ id: string; created_at: Date; refreshed_at: Date | null; user_agent: string | null; ip: string | null; aal: string }[]>`
    select id, created_at, refreshed_at, user_agent, host(ip) as ip, aal from auth.sessions
    where user_id = ${userId}::uuid and revoked_at is null and expires_at > now()
    order by created_at desc`);
  return rows.map((r) => ({ ...r, created_at: r.created_at.toISOString(), refreshed_at: r.refreshed_at?.toISOString() ?? null }));
}
