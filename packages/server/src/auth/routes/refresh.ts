// POST /api/v1/auth/refresh (API.md §8.3): rotate the refresh token; rate-limited per
// session family and per IP (upstream keyed every refresh into one bucket).
import type { FastifyInstance } from 'fastify';
import type { AuthDeps } from '../deps.ts';
import { objectBody, requiredString } from '../core/body.ts';

export function registerRefresh(app: FastifyInstance, deps: AuthDeps): void {
  const { core } = deps;
  app.post('/api/v1/auth/refresh', { config: { allowWithoutKey: true } }, async (request, reply) => {
    const client = core.clientInfo(request);
    const token = requiredString(objectBody(request), 'refresh_token', 512);
    const family = await core.sessions.familyOf(token);
    await deps.limits.hit(reply, 'refresh', { ip: client.ip, family: family ?? undefined });
    return core.sessions.refresh(token, client);
  });
}
