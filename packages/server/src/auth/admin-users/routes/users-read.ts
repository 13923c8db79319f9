// GET /api/v1/admin/users/:id → AdminUser; DELETE /api/v1/admin/users/:id → 204, the
// user's sessions revoked first.
import type { FastifyInstance } from 'fastify';
import { adminOnly, errors } from '../../../http/index.ts';
import type { AuthDeps } from '../../deps.ts';
import { deleteUser } from '../store.ts';
import { foundUser, userIdParam, USERS_PATH } from '../user-lookup.ts';

export function registerUsersRead(app: FastifyInstance, deps: AuthDeps): void {
  const pool = deps.db.pool;
  app.get(`${USERS_PATH}/:id`, { preHandler: adminOnly }, async (request) => foundUser(pool, userIdParam(request)));

  app.delete(`${USERS_PATH}/:id`, { preHandler: adminOnly }, async (request, reply) => {
    const id = userIdParam(request);
    await deps.core.sessions.revokeUserSessions(id, 'user_deleted');
    if (!(await deleteUser(pool, id))) throw errors.notFound('user', 'No user with this id');
    return reply.code(204).send();
  });
}
