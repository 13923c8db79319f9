// The caller's linked identities: GET /user/identities, POST /user/identities {provider,
// redirect_uri?, redirect_to?, scopes?, code_challenge?} (starts a linking authorization
// bound to the caller; its callback must carry the caller's session), and
// DELETE /user/identities/:id.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, errors, field, LIMITS, optionalBody, parseInput } from '../../../http/index.ts';
import { identityWire } from '../identity-store.ts';
import type { OAuthService } from '../service.ts';
import { authorizeFields, checkClientChallenge } from './authorize.schema.ts';

const LinkBody = optionalBody(z.object({ provider: field.requiredParam(LIMITS.name), ...authorizeFields }).superRefine(checkClientChallenge));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function identityIdParam(value: string): string {
  if (!UUID.test(value)) throw new AppError('INVALID_ID', { message: 'identity id must be a UUID', details: { field: 'id' } });
  return value.toLowerCase();
}

export function registerIdentityRoutes(app: FastifyInstance, oauth: OAuthService): void {
  const core = oauth.deps.core;
  app.get('/api/v1/auth/user/identities', async (request) => {
    const caller = await core.requireUser(request);
    const rows = await oauth.identities.listForUser(caller.user.id);
    return { identities: rows.map(identityWire) };
  });

  app.post('/api/v1/auth/user/identities', async (request) => {
    const caller = await core.requireUser(request);
    const body = parseInput(LinkBody, request.body);
    return oauth.flows.authorize({
      provider: body.provider,
      redirectUri: body.redirect_uri,
      redirectTo: body.redirect_to,
      scopes: body.scopes,
      linkUserId: caller.user.id,
      clientChallenge: body.code_challenge,
    });
  });

  app.delete<{ Params: { id: string } }>('/api/v1/auth/user/identities/:id', async (request) => {
    const caller = await core.requireUser(request);
    const id = identityIdParam(request.params.id);
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
