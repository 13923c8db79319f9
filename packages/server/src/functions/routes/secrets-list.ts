// GET /api/v1/secrets → [Secret] (admin): names, scopes and dates, never values.
import type { FastifyInstance } from 'fastify';
import { adminOnly } from '../../http/index.ts';
import { SECRETS_PATH, secretView, type SecretsRouteDeps } from './secrets-schema.ts';

export function registerSecretsList(app: FastifyInstance, deps: SecretsRouteDeps): void {
  app.get(SECRETS_PATH, { preHandler: adminOnly }, async () => (await deps.secrets.list()).map(secretView));
}
