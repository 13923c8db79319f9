// GET /service-keys (newest first) · GET /service-keys/:id · GET /service-keys/:id/revocations.
import type { FastifyInstance } from 'fastify';
import { adminOnlyNoStoredKeys } from '../../../http/index.ts';
import type { AuthDeps } from '../../deps.ts';
import { getServiceKey, listServiceKeys } from '../key-admin.ts';
import { parseKeyId } from '../key-input.ts';
import { revocations } from '../key-lifecycle.ts';
import type { KeyCacheControl } from '../service-keys.ts';
import { adminContext, BASE } from './context.ts';

export function registerKeysRead(app: FastifyInstance, deps: AuthDeps, cache: KeyCacheControl | undefined): void {
  app.get(BASE, { preHandler: adminOnlyNoStoredKeys }, (request) => listServiceKeys(adminContext(request, deps, cache)));

  app.get<{ Params: { id: string } }>(`${BASE}/:id`, { preHandler: adminOnlyNoStoredKeys }, (request) =>
    getServiceKey(adminContext(request, deps, cache), parseKeyId(request.params.id)));

  app.get<{ Params: { id: string } }>(`${BASE}/:id/revocations`, { preHandler: adminOnlyNoStoredKeys }, (request) =>
    revocations(adminContext(request, deps, cache), parseKeyId(request.params.id)));
}
