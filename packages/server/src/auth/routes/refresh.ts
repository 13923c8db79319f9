// POST /api/v1/auth/refresh {refresh_token} (docs/auth.md "Sessions and refresh tokens"):
// rotate the refresh token; rate-limited per session family and per IP (upstream keyed
// every refresh into one bucket).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { field, LIMITS, parseInput } from '../../http/index.ts';
import { countedAttempt } from '../core/attempts.ts';
import type { AuthDeps } from '../deps.ts';

const Body = z.object({ refresh_token: field.text(LIMITS.token) });

export function registerRefresh(app: FastifyInstance, deps: AuthDeps): void {
  const { core } = deps;
  app.post('/api/v1/auth/refresh', { config: { allowWithoutKey: true } }, (request, reply) => countedAttempt(deps.metrics, 'refresh', async () => {
    const client = core.clientInfo(request);
    const token = parseInput(Body, request.body).refresh_token;
    const family = await core.sessions.familyOf(token);
    await deps.limits.hit(reply, 'refresh', { ip: client.ip, family: family ?? undefined });
    return core.sessions.refresh(token, client);
  }));
}
