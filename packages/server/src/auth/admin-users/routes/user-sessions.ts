// GET /api/v1/admin/users/:id/sessions → {sessions: [{id, created_at, refreshed_at,
// user_agent, ip, aal}]} (live ones); DELETE → 204, every session revoked.
import type { FastifyInstance } from 'fastify';
import { adminOnly } from '../../../http/index.ts';
import type { AuthDeps } from '../../deps.ts';
import { listSessions } from '../store.ts';
import { foundUser, userIdParam, USERS_PATH } from '../user-lookup.ts';

export function registerUserSessions(app: FastifyInstance, deps: AuthDeps): void {
  const pool = deps.db.pool;
  app.get(`${USERS_PATH}/:id/sessions`, { preHandler: adminOnly }, async (request) => {
    const id = userIdParam(request);
    await foundUser(pool, id);
    return { sessions: await listSessions(pool, id) };
  });

  app.delete(`${USERS_PATH}/:id/sessions`, { preHandler: adminOnly }, async (request, reply) => {
    const id = userIdParam(request);
    await foundUser(pool, id);
    await deps.core.sessions.revokeUserSessions(id, 'admin_revoked');
    return reply.code(204).send();
  });
}
