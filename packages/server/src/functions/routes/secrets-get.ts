// GET /api/v1/secrets/by-name/:name[?namespace=] → Secret without its value (admin); 404.
import type { FastifyInstance } from 'fastify';
import { adminOnly } from '../../http/index.ts';
import { SECRETS_PATH, secretNotFound, secretRef, secretView, type SecretsRouteDeps } from './secrets-schema.ts';

export function registerSecretsGet(app: FastifyInstance, deps: SecretsRouteDeps): void {
  app.get(`${SECRETS_PATH}/by-name/:name`, { preHandler: adminOnly }, async (request) => {
    const ref = secretRef(request);
    const row = await deps.secrets.find(ref);
    if (!row) throw secretNotFound(ref);
    return secretView(row);
  });
}
