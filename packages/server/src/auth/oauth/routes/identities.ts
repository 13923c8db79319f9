// The caller's linked identities: GET /user/identities, POST /user/identities {provider,
// redirect_uri?, redirect_to?, scopes?, code_challenge?} (starts a linking authorization
// bound to the caller; its callback must carry the caller's session), and
// DELETE /user/identities/:id.
import type { FastifyInstance } from 'fastify';
import { AppError, errors } from '../../../http/index.ts';
import { identityWire } from '../identity-store.ts';
import { bodyObject, optionalClientChallenge, optionalScopes, optionalString, requiredString, uuidParam } from '../inputs.ts';
import type { OAuthService } from '../service.ts';

export function registerIdentityRoutes(app: FastifyInstance, oauth: OAuthService): void {
  const core = oauth.deps.core;
  app.get('/api/v1/auth/user/identities', async (request) => {
    const caller = await core.requireUser(request);
    const rows = await oauth.identities.listForUser(caller.user.id);
    return { identities: rows.map(identityWire) };
  });

  app.post('/api/v1/auth/user/identities', async (request) => {
    const caller = await core.requireUser(request);
    const body = bodyObject(request.body);
    return oauth.flows.authorize({
      provider: requiredString(body, 'provider', 63),
      redirectUri: optionalString(body, 'redirect_uri'),
      redirectTo: optionalString(body, 'redirect_to'),
      scopes: optionalScopes(body),
      linkUserId: caller.user.id,
      clientChallenge: optionalClientChallenge(body),
    });
  });

  app.delete<{ Params: { id: string } }>('/api/v1/auth/user/identities/:id', async (request) => {
    const caller = await core.requireUser(request);
    const id = uuidParam(request.params.id, 'identity id');
    const outcome = await oauth.identities.unlink(caller.user.id, id);
    if (outcome === 'not_found') throw errors.notFound('identity');
    if (outcome === 'last_method') {
      throw new AppError('CONFLICT', {
        message: 'This is the only way to sign in to this account: set a password or link another identity first',
        details: { reason: 'last_sign_in_method' },
      });
    }
    return { success: true };
  });
}
