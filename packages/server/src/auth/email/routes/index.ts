// Registration of the email routes (docs/auth.md "Flows") and the admin outbox
// (docs/auth.md "The development outbox").
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
