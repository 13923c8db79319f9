// GET and PATCH /api/v1/auth/user (API.md §8.1, §8.3). A user may change their email
// (confirmed by a link to the new address), their password (with the current password or
// a /reauthenticate nonce; other sessions are revoked) and user_metadata (merged). role,
// app_metadata and email_verified are admin-only (API.md §16.1).
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../http/index.ts';
import { authQuery } from '../core/db.ts';
import { normalizeEmail } from '../core/email.ts';
import type { UserRow } from '../core/types.ts';
import { USER_COLUMNS } from '../core/users.ts';
import type { AuthDeps } from '../deps.ts';
import { objectBody, optionalMetadata, optionalString, refuseAdminFields } from '../core/body.ts';

const ALLOWED = new Set(['email', 'password', 'current_password', 'nonce', 'user_metadata', 'data']);

export function registerUserRoutes(app: FastifyInstance, deps: AuthDeps): void {
  const { core } = deps;
  const pool = deps.db.pool;

  app.get('/api/v1/auth/user', async (request) => core.users.toUser((await core.requireUser(request)).user));

  app.patch('/api/v1/auth/user', async (request) => {
    const caller = await core.requireUser(request);
    const body = objectBody(request);
    refuseAdminFields(body, ['role', 'app_metadata', 'email_verified']);
    const unknown = Object.keys(body).filter((k) => !ALLOWED.has(k));
    if (unknown.length > 0) {
      throw new AppError('VALIDATION_FAILED', {
        message: `Unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
        details: { fields: Object.fromEntries(unknown.map((k) => [k, 'unknown field'])) },
      });
    }
    const metadata = optionalMetadata(body, 'user_metadata', 'data');
    const newEmail = body.email === undefined ? undefined : normalizeEmail(body.email);
    let passwordHash: string | undefined;
    if (body.password !== undefined) {
      const password = core.passwords.validate(body.password);
      const current = optionalString(body, 'current_password', 4096);
      const nonce = optionalString(body, 'nonce', 64);
      if (current !== undefined) {
        const { ok } = await core.passwords.verify(caller.user.encrypted_password, current);
        if (!ok) throw new AppError('INVALID_CREDENTIALS', { message: 'current_password is wrong' });
      } else if (nonce !== undefined) {
        await deps.emailFlows.consumeReauthNonce(caller.user, nonce);
      } else {
        throw new AppError('MISSING_REQUIRED_FIELD', {
          message: 'Changing the password needs current_password, or a nonce from POST /api/v1/auth/reauthenticate',
          details: { field: 'current_password' },
        });
      }
      passwordHash = await core.passwords.hash(password);
    }

    let user: UserRow = caller.user;
    if (metadata !== undefined || passwordHash !== undefined) {
      const [row] = await authQuery(pool, (sql) => sql<UserRow[]>`
        update auth.users set
          user_metadata = case when ${metadata === undefined}::boolean then user_metadata else user_metadata || ${sql.json((metadata ?? {}) as never)}::jsonb end,
          encrypted_password = coalesce(${passwordHash ?? null}, encrypted_password),
          updated_at = now()
        where id = ${caller.user.id}::uuid
        returning ${sql.unsafe(USER_COLUMNS)}`);
      user = row ?? user;
    }
    if (passwordHash !== undefined) await core.sessions.revokeUserSessions(user.id, 'password_changed', caller.sessionId);
    if (newEmail !== undefined && newEmail !== user.email) {
      // A taken address is answered like a free one (startEmailChange tells its owner instead).
      await deps.emailFlows.startEmailChange(user, newEmail);
      user = (await core.users.findById(user.id)) ?? user;
    }
    return core.users.toUser(user);
  });
}
