// POST /service-keys/:id/revoke · /deprecate · /rotate (201) and
// POST /service-role-jwts/revoke (every earlier service-role JWT refused).
import type { FastifyInstance } from 'fastify';
import { adminOnlyNoStoredKeys } from '../../../http/index.ts';
import type { AuthDeps } from '../../deps.ts';
import { parseDeprecate, parseKeyId, parseReason, parseRotate } from '../key-input.ts';
import { deprecate, revoke, revokeServiceRoleJwts, rotate } from '../key-lifecycle.ts';
import type { KeyCacheControl } from '../service-keys.ts';
import { adminContext, BASE } from './context.ts';

type ById = { Params: { id: string } };

export function registerKeysLifecycle(app: FastifyInstance, deps: AuthDeps, cache: KeyCacheControl | undefined): void {
  app.post<ById>(`${BASE}/:id/revoke`, { preHandler: adminOnlyNoStoredKeys }, async (request) => {
    const id = parseKeyId(request.params.id);
    return revoke(adminContext(request, deps, cache), id, parseReason(request.body));
  });

  app.post<ById>(`${BASE}/:id/deprecate`, { preHandler: adminOnlyNoStoredKeys }, async (request) => {
    const id = parseKeyId(request.params.id);
    return deprecate(adminContext(request, deps, cache), id, parseDeprecate(request.body));
  });

  app.post<ById>(`${BASE}/:id/rotate`, { preHandler: adminOnlyNoStoredKeys }, async (request, reply) => {
    const id = parseKeyId(request.params.id);
    const rotated = await rotate(adminContext(request, deps, cache), id, parseRotate(request.body));
    return reply.code(201).send(rotated);
  });

  app.post('/api/v1/admin/service-role-jwts/revoke', { preHandler: adminOnlyNoStoredKeys }, async (request) =>
    revokeServiceRoleJwts(adminContext(request, deps, cache), parseReason(request.body)));
}
