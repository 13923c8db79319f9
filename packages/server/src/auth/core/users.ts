// auth.users: lookups, creation, a user's own profile update and the wire shapes (User:
// docs/auth.md "Users and passwords"; AdminUser: "Admin user management").
import type { Pool } from '../../db/index.ts';
import { AppError } from '../../http/index.ts';
import type { NewUser, Passwords, UserStore } from '../deps.ts';
import { authQuery } from './db.ts';
import type { AdminUser, User, UserRow } from './types.ts';

export const USER_COLUMNS = `id, email, encrypted_password, email_verified, email_verified_at, role, user_metadata,
  app_metadata, is_anonymous, new_email, banned_until, totp_enabled, last_sign_in_at, created_at, updated_at`;

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export function toUser(row: UserRow): User {
  const user: User = {
    id: row.id,
    email: row.email,
    email_verified: row.email_verified,
    phone: null,
    role: row.role,
    user_metadata: row.user_metadata,
    app_metadata: row.app_metadata,
    is_anonymous: row.is_anonymous,
    totp_enabled: row.totp_enabled,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    last_sign_in_at: iso(row.last_sign_in_at),
  };
  if (row.new_email !== null) user.new_email = row.new_email;
  return user;
}

export function toAdminUser(row: UserRow, lock?: { failed_count: number; locked_until: Date | null }): AdminUser {
  return {
    ...toUser(row),
    banned_until: iso(row.banned_until),
    failed_login_attempts: lock?.failed_count ?? 0,
    locked_until: lock && lock.locked_until && lock.locked_until > new Date() ? lock.locked_until.toISOString() : null,
  };
}

export function createUserStore(pool: Pool, passwords: Passwords): UserStore {
  return {
    async findById(id) {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
      const [row] = await authQuery(pool, (sql) => sql<UserRow[]>`select ${sql.unsafe(USER_COLUMNS)} from auth.users where id = ${id}::uuid`);
      return row;
    },
    async findByEmail(email) {
      const [row] = await authQuery(pool, (sql) => sql<UserRow[]>`select ${sql.unsafe(USER_COLUMNS)} from auth.users where email = ${email}`);
      return row;
    },
    async create(input: NewUser) {
      const hash = input.password === undefined ? null : await passwords.hash(input.password);
      const verified = input.emailVerified ?? false;
      const rows = await authQuery(pool, (sql) => sql<UserRow[]>`
        insert into auth.users (email, encrypted_password, email_verified, email_verified_at, role, user_metadata, app_metadata, is_anonymous)
        values (${input.email}, ${hash}, ${verified}, ${verified ? new Date() : null}, ${input.role ?? 'authenticated'},
                ${sql.json((input.userMetadata ?? {}) as never)}, ${sql.json((input.appMetadata ?? {}) as never)}, ${input.isAnonymous ?? false})
        on conflict (email) do nothing
        returning ${sql.unsafe(USER_COLUMNS)}`);
      const row = rows[0];
      if (!row) throw new AppError('ALREADY_EXISTS', { message: 'An account with this email already exists', details: { resource: 'user' } });
      return row;
    },
    toUser,
    toAdminUser,
  };
}

/**
 * A user's own profile change (PATCH /user): `metadata` is merged into user_metadata, and
 * `passwordHash` replaces the password. Returns the updated row; undefined when the user is gone.
 */
export async function updateOwnProfile(
  pool: Pool, userId: string, change: { metadata?: Record<string, unknown> | undefined; passwordHash?: string | undefined },
): Promise<UserRow | undefined> {
  const { metadata, passwordHash } = change;
  const [row] = await authQuery(pool, (sql) => sql<UserRow[]>`
    update auth.users set
      user_metadata = case when ${metadata === undefined}::boolean then user_metadata else user_metadata || ${sql.json((metadata ?? {}) as never)}::jsonb end,
      encrypted_password = coalesce(${passwordHash ?? null}, encrypted_password),
      updated_at = now()
    where id = ${userId}::uuid
    returning ${sql.unsafe(USER_COLUMNS)}`);
  return row;
}
