// POST /service-keys (201, plaintext key shown once) · PATCH /service-keys/:id ·
// DELETE /service-keys/:id (204) · POST /service-keys/:id/enable · /disable.
import type { FastifyInstance } from 'fastify';
import { adminOnlyNoStoredKeys } from '../../../http/index.ts';
import type { AuthDeps } from '../../deps.ts';
import { createKey, patchKey, removeKey, setEnabled } from '../key-admin.ts';
import { parseCreate, parseKeyId, parsePatch } from '../key-input.ts';
import type { KeyCacheControl } from '../service-keys.ts';
import { adminContext, BASE } from './context.ts';

type ById = { Params: { id: string } };

export function registerKeysWrite(app: FastifyInstance, deps: AuthDeps, cache: KeyCacheControl | undefined): void {
  app.post(BASE, { preHandler: adminOnlyNoStoredKeys }, async (request, reply) => {
    const input = parseCreate(request.body);
    return reply.code(201).send(await createKey(adminContext(request, deps, cache), input));
  });

  app.patch<ById>(`${BASE}/:id`, { preHandler: adminOnlyNoStoredKeys }, async (request) => {
    const id = parseKeyId(request.params.id);
    return patchKey(adminContext(request, deps, cache), id, parsePatch(request.body));
  });

  app.delete<ById>(`${BASE}/:id`, { preHandler: adminOnlyNoStoredKeys }, async (request, reply) => {
    await removeKey(adminContext(request, deps, cache), parseKeyId(request.params.id));
    return reply.code(204).send();
  });

  for (const [action, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post<ById>(`${BASE}/:id/${action}`, { preHandler: adminOnlyNoStoredKeys }, (request) =>
      setEnabled(adminContext(request, deps, cache), parseKeyId(request.params.id), enabled));
  }
}
