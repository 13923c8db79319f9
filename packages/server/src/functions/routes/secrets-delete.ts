// DELETE /api/v1/secrets/by-name/:name[?namespace=] → 204 (admin); 404.
import type { FastifyInstance } from 'fastify';
import { adminOnly } from '../../http/index.ts';
import { SECRETS_PATH, secretNotFound, secretRef, type SecretsRouteDeps } from './secrets-schema.ts';

export function registerSecretsDelete(app: FastifyInstance, deps: SecretsRouteDeps): void {
  app.delete(`${SECRETS_PATH}/by-name/:name`, { preHandler: adminOnly }, async (request, reply) => {
    const ref = secretRef(request);
    if (!(await deps.secrets.remove(ref))) throw secretNotFound(ref);
    return reply.code(204).send();
  });
}
