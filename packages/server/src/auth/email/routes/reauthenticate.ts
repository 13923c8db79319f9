// POST /api/v1/auth/reauthenticate [email_send] (signed-in user) → {message}: a six-digit
// nonce is emailed to the user (never returned), valid 5 minutes, for PATCH /user.
import type { FastifyInstance } from 'fastify';
import type { AuthDeps } from '../../deps.ts';
import { reauthEmail, sendReauthNonce } from '../reauthentication.ts';

export function registerReauthenticateRoute(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/auth/reauthenticate', async (request, reply) => {
    const { user } = await deps.core.requireUser(request);
    const email = reauthEmail(user);
    await deps.limits.hit(reply, 'email_send', { ip: deps.core.clientInfo(request).ip, email });
    await sendReauthNonce(deps, user);
    return { message: 'A confirmation code has been sent to your email address' };
  });
}
