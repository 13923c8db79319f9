// Registration of the email routes (API.md §8.1 and the admin outbox of §7.3).
import type { FastifyInstance } from 'fastify';
import type { AuthDeps } from '../../deps.ts';
import { registerMagicLinkRoutes } from './magiclink.ts';
import { registerMailOutboxRoute } from './mail-outbox.ts';
import { registerOtpRoutes } from './otp.ts';
import { registerPasswordResetRoutes } from './password-reset.ts';
import { registerReauthenticateRoute } from './reauthenticate.ts';
import { registerVerifyEmailRoutes } from './verify-email.ts';

export function registerEmailRoutes(app: FastifyInstance, deps: AuthDeps): void {
  registerMagicLinkRoutes(app, deps);
  registerOtpRoutes(app, deps);
  registerPasswordResetRoutes(app, deps);
  registerVerifyEmailRoutes(app, deps);
  registerReauthenticateRoute(app, deps);
  registerMailOutboxRoute(app, deps);
}
