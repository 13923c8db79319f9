// POST /api/v1/auth/signin/anonymous {user_metadata?} (docs/auth.md "Users and passwords"):
// a user without email, off by default.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, optionalBody, parseInput } from '../../http/index.ts';
import { countedAttempt } from '../core/attempts.ts';
import { userMetadataFields, userMetadataOf } from '../core/metadata-fields.ts';
import type { AuthDeps } from '../deps.ts';

const Body = optionalBody(z.object(userMetadataFields));

export function registerSigninAnonymous(app: FastifyInstance, deps: AuthDeps): void {
  const { core, config } = deps;
  app.post('/api/v1/auth/signin/anonymous', { config: { allowWithoutKey: true } }, (request, reply) => countedAttempt(deps.metrics, 'anonymous', async () => {
    if (!config.auth.anonymous_signin_enabled) {
      throw new AppError('FEATURE_DISABLED', { message: 'Anonymous sign-in is disabled (auth.anonymous_signin_enabled)' });
    }
    const client = core.clientInfo(request);
    await deps.limits.hit(reply, 'signup', { ip: client.ip });
    const userMetadata = userMetadataOf(parseInput(Body, request.body));
    const user = await core.users.create({ email: null, isAnonymous: true, userMetadata });
    return reply.code(201).send(await core.completeSignIn(user, 'anonymous', client));
  }));
}
