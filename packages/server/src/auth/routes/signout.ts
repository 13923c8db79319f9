// POST /api/v1/auth/signout {scope?} (docs/auth.md "Sessions and refresh tokens"): `local`
// (default) ends this session, `global` all the user's sessions, `others` all but this one.
// Access tokens of ended sessions are refused.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { optionalBody, parseInput } from '../../http/index.ts';
import type { AuthDeps } from '../deps.ts';

const Body = optionalBody(z.object({
  scope: z.preprocess((v) => (v === null ? undefined : v), z.enum(['local', 'global', 'others'], { error: 'must be local, global or others' }).optional()),
}));

export function registerSignout(app: FastifyInstance, deps: AuthDeps): void {
  const { core } = deps;
  app.post('/api/v1/auth/signout', async (request) => {
    const caller = await core.requireUser(request);
    const scope = parseInput(Body, request.body).scope ?? 'local';
    if (scope === 'local') await core.sessions.revoke(caller.sessionId, 'signout');
    else await core.sessions.revokeUserSessions(caller.user.id, `signout_${scope}`, scope === 'others' ? caller.sessionId : undefined);
    return { message: 'Successfully signed out' };
  });
}
