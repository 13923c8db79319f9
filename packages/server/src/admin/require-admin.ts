// The admin check (API.md §2.1, §7): every admin route runs `requireAdmin` after the
// principal is resolved. Today the admin principal is service_role (a service-role JWT,
// or a stored service key holding scope `*`); users whose auth.users.role is `admin`
// join here when the auth subsystem lands (hence async: that check reads the database).
import type { FastifyRequest } from 'fastify';
import { AppError, errors } from '../http/index.ts';

export async function requireAdmin(request: FastifyRequest): Promise<void> {
  const p = request.principal;
  if (p.kind === 'anonymous' || p.kind === 'anon_key') {
    throw errors.missingAuthentication('Admin routes need a service key or an admin user token');
  }
  if (p.role === 'service_role') {
    if (p.kind === 'service_key' && !(p.scopes ?? []).includes('*')) {
      throw new AppError('INSUFFICIENT_PERMISSIONS', {
        message: 'This service key lacks the scope admin routes need', details: { required_scope: '*' },
      });
    }
    return;
  }
  throw new AppError('ADMIN_REQUIRED', { message: 'This endpoint is for administrators only' });
}

/** Route option form: `app.get(path, { preHandler: adminOnly }, handler)` (runs after the principal hook). */
export const adminOnly = async (request: FastifyRequest): Promise<void> => requireAdmin(request);
