// The admin check (docs/auth.md "Admin user management"): a service_role principal, or a user whose
// auth.users.role is `admin`, read from the database on each admin request so that a
// demotion takes effect at once. The lookup is passed in (auth owns users); without one,
// only service_role is admin.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, errors } from './errors/index.ts';

export type AdminUserLookup = (userId: string) => Promise<boolean>;

declare module 'fastify' {
  interface FastifyInstance {
    isAdminUser: AdminUserLookup;
  }
}

export function installAdminLookup(app: FastifyInstance, lookup: AdminUserLookup | undefined): void {
  app.decorate('isAdminUser', lookup ?? (() => Promise.resolve(false)));
}

export interface AdminCheckOptions {
  /** Stored `sk_` keys holding scope `*` pass (default); key management refuses them. */
  allowStoredKeys?: boolean;
}

export async function requireAdmin(request: FastifyRequest, options: AdminCheckOptions = {}): Promise<void> {
  const p = request.principal;
  if (p.kind === 'anonymous' || p.kind === 'anon_key') {
    throw errors.missingAuthentication('Admin routes need a service key or an admin user token');
  }
  if (p.role === 'service_role') {
    if (p.kind === 'service_key') {
      if (options.allowStoredKeys === false) {
        throw new AppError('ADMIN_REQUIRED', { message: 'Stored service keys cannot manage keys; use an admin user or a service-role JWT' });
      }
      if (!(p.scopes ?? []).includes('*')) {
        throw new AppError('INSUFFICIENT_PERMISSIONS', {
          message: 'This service key lacks the scope admin routes need', details: { required_scope: '*' },
        });
      }
    }
    return;
  }
  if (p.kind === 'user' && p.userId !== null && (await request.server.isAdminUser(p.userId))) return;
  throw new AppError('ADMIN_REQUIRED', { message: 'This endpoint is for administrators only' });
}

/** Route option form: `app.get(path, { preHandler: adminOnly }, handler)` (runs after the principal hook). */
export const adminOnly = async (request: FastifyRequest): Promise<void> => requireAdmin(request);

/** Key management: admin users and service-role JWTs only (docs/auth.md "Creating a key"). */
export const adminOnlyNoStoredKeys = async (request: FastifyRequest): Promise<void> => requireAdmin(request, { allowStoredKeys: false });
