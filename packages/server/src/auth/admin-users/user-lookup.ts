// The `:id` of the admin user routes and the lookup every one of them starts with.
import type { FastifyRequest } from 'fastify';
import type { Pool } from '../../db/index.ts';
import { AppError, errors } from '../../http/index.ts';
import type { AdminUser } from '../core/types.ts';
import { getAdminUser } from './store.ts';

export const USERS_PATH = '/api/v1/admin/users';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The path's user id: 400 INVALID_ID unless it is a UUID. */
export function userIdParam(request: FastifyRequest): string {
  const id = (request.params as { id: string }).id;
  if (!UUID.test(id)) throw new AppError('INVALID_ID', { message: 'The user id must be a UUID', details: { field: 'id' } });
  return id;
}

/** The user, or 404 NOT_FOUND. */
export async function foundUser(pool: Pool, id: string): Promise<AdminUser> {
  const user = await getAdminUser(pool, id);
  if (!user) throw errors.notFound('user', 'No user with this id');
  return user;
}
