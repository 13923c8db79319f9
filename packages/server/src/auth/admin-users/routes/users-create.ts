// POST /api/v1/admin/users {email, password?, email_verified?, role?, user_metadata?,
// app_metadata?} → 201 AdminUser; 409 ALREADY_EXISTS for a taken email.
import type { FastifyInstance } from 'fastify';
import { adminOnly, parseInput } from '../../../http/index.ts';
import type { AuthDeps } from '../../deps.ts';
import { foundUser, USERS_PATH } from '../user-lookup.ts';
import { CreateUserBody } from '../user.schema.ts';

export function registerUsersCreate(app: FastifyInstance, deps: AuthDeps): void {
  const { core } = deps;
  app.post(USERS_PATH, { preHandler: adminOnly }, async (request, reply) => {
    const body = parseInput(CreateUserBody, request.body);
    const password = body.password === undefined ? undefined : core.passwords.validate(body.password);
    const row = await core.users.create({
      email: body.email, password, emailVerified: body.email_verified ?? false, role: body.role,
      userMetadata: body.user_metadata, appMetadata: body.app_metadata,
    });
    return reply.code(201).send(await foundUser(deps.db.pool, row.id));
  });
}
