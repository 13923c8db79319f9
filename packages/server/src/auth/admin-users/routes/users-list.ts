// GET /api/v1/admin/users?search=&limit=50&offset=0 → {users: [AdminUser], total, limit,
// offset}, newest first; `search` matches email, metadata name or id.
import type { FastifyInstance } from 'fastify';
import { adminOnly, parseInput } from '../../../http/index.ts';
import type { AuthDeps } from '../../deps.ts';
import { searchUsers } from '../store.ts';
import { USERS_PATH } from '../user-lookup.ts';
import { ListUsersQuery } from '../user.schema.ts';

export function registerUsersList(app: FastifyInstance, deps: AuthDeps): void {
  app.get(USERS_PATH, { preHandler: adminOnly }, async (request) => {
    const { search, limit, offset } = parseInput(ListUsersQuery, request.query, 'query');
    const { users, total } = await searchUsers(deps.db.pool, search, limit, offset);
    return { users, total, limit, offset };
  });
}
