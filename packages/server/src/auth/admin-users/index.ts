// Admin user management (docs/auth.md "Admin user management"): list/search, create, update
// (role, app_metadata, ban), delete, and sessions list/revoke, one file per route under
// routes/. Service role or admin users only. A ban, a password change and a role change end
// the user's sessions; so does deletion.
import type { FastifyInstance } from 'fastify';
import type { AuthDeps } from '../deps.ts';
import { registerUserSessions } from './routes/user-sessions.ts';
import { registerUsersCreate } from './routes/users-create.ts';
import { registerUsersList } from './routes/users-list.ts';
import { registerUsersRead } from './routes/users-read.ts';
import { registerUsersUpdate } from './routes/users-update.ts';

export function registerAdminUserRoutes(app: FastifyInstance, deps: AuthDeps): void {
  registerUsersList(app, deps);
  registerUsersCreate(app, deps);
  registerUsersRead(app, deps);
  registerUsersUpdate(app, deps);
  registerUserSessions(app, deps);
}
