// PUT /api/v1/secrets/by-name/:name[?namespace=] {value?, description?, expires_at?} →
// Secret (admin); 404. Warm workers stop, so no module keeps the old value.
import type { FastifyInstance } from 'fastify';
import { adminOnly, parseInput } from '../../http/index.ts';
import { SECRETS_PATH, secretNotFound, secretRef, secretView, UpdateSecretBody, type SecretsRouteDeps } from './secrets-schema.ts';

export function registerSecretsUpdate(app: FastifyInstance, deps: SecretsRouteDeps): void {
  app.put(`${SECRETS_PATH}/by-name/:name`, { preHandler: adminOnly }, async (request) => {
    const ref = secretRef(request);
    const body = parseInput(UpdateSecretBody, request.body ?? {});
    const row = await deps.secrets.update(ref, { value: body.value, description: body.description, expires_at: body.expires_at ? new Date(body.expires_at) : undefined });
    if (!row) throw secretNotFound(ref);
    return secretView(row);
  });
}
