// PATCH /api/v1/admin/users/:id {email?, password?, email_verified?, role?,
// user_metadata?, app_metadata?, ban_duration?: "24h" | "none"} → AdminUser. A ban, a
// password change and a role change end the user's sessions.
import type { FastifyInstance } from 'fastify';
import { parseDuration } from '../../../config/index.ts';
import { AppError, adminOnly, parseInput } from '../../../http/index.ts';
import type { AuthDeps } from '../../deps.ts';
import { updateUser, type UserPatch } from '../store.ts';
import { foundUser, userIdParam, USERS_PATH } from '../user-lookup.ts';
import { UpdateUserBody } from '../user.schema.ts';

export function registerUsersUpdate(app: FastifyInstance, deps: AuthDeps): void {
  const { core } = deps;
  const pool = deps.db.pool;
  app.patch(`${USERS_PATH}/:id`, { preHandler: adminOnly }, async (request) => {
    const id = userIdParam(request);
    const body = parseInput(UpdateUserBody, request.body);
    const before = await foundUser(pool, id);
    const patch: UserPatch = { role: body.role, emailVerified: body.email_verified, userMetadata: body.user_metadata, appMetadata: body.app_metadata };
    if (body.email !== undefined) {
      const other = await core.users.findByEmail(body.email);
      if (other && other.id !== id) throw new AppError('ALREADY_EXISTS', { message: 'An account with this email already exists', details: { resource: 'user' } });
      patch.email = body.email;
    }
    if (body.password !== undefined) patch.passwordHash = await core.passwords.hash(core.passwords.validate(body.password));
    if (body.ban_duration !== undefined) {
      patch.bannedUntil = body.ban_duration === 'none' ? null : new Date(Date.now() + parseDuration(body.ban_duration)!);
    }
    await updateUser(pool, id, patch);
    const endSessions = patch.passwordHash !== undefined || patch.bannedUntil instanceof Date
      || (patch.role !== undefined && patch.role !== before.role);
    if (endSessions) await core.sessions.revokeUserSessions(id, 'admin_change');
    return foundUser(pool, id);
  });
}
