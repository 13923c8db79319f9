// POST /api/v1/auth/signout (API.md §8.3): `local` ends this session, `global` all the
// user's sessions, `others` all but this one. Access tokens of ended sessions are refused.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../http/index.ts';
import type { AuthDeps } from '../deps.ts';
import { objectBody, optionalString } from '../core/body.ts';

const SCOPES = ['local', 'global', 'others'];

export function registerSignout(app: FastifyInstance, deps: AuthDeps): void {
  const { core } = deps;
  app.post('/api/v1/auth/signout', async (request) => {
    const caller = await core.requireUser(request);
    const scope = optionalString(objectBody(request, true), 'scope', 16) ?? 'local';
    if (!SCOPES.includes(scope)) {
      throw new AppError('VALIDATION_FAILED', { message: 'scope must be local, global or others', details: { fields: { scope: 'must be local, global or others' } } });
    }
    if (scope === 'local') await core.sessions.revoke(caller.sessionId, 'signout');
    else await core.sessions.revokeUserSessions(caller.user.id, `signout_${scope}`, scope === 'others' ? caller.sessionId : undefined);
    return { message: 'Successfully signed out' };
  });
}
