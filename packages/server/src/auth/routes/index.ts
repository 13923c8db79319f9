// The core auth routes (docs/auth.md): config, sign-up, sign-in, anonymous sign-in,
// refresh, sign-out, and the current user.
import type { FastifyInstance } from 'fastify';
import type { AuthDeps } from '../deps.ts';
import { registerConfigRoutes } from './config.ts';
import { registerRefresh } from './refresh.ts';
import { registerSignin } from './signin.ts';
import { registerSigninAnonymous } from './signin-anonymous.ts';
import { registerSignout } from './signout.ts';
import { registerSignup } from './signup.ts';
import { registerUserRoutes } from './user.ts';

export function registerCoreRoutes(app: FastifyInstance, deps: AuthDeps, oauthProviderNames: () => Promise<string[]>): void {
  registerConfigRoutes(app, deps, oauthProviderNames);
  registerSignup(app, deps);
  registerSignin(app, deps);
  registerSigninAnonymous(app, deps);
  registerRefresh(app, deps);
  registerSignout(app, deps);
  registerUserRoutes(app, deps);
}
