// POST /api/v1/secrets {name, value, scope?, namespace?, description?, expires_at?} → 201
// Secret (admin); 409 ALREADY_EXISTS. The value is sealed with encryption_key before it is
// stored and is never answered; functions receive it as FLUXBASE_SECRET_<NAME> and in
// `context.secrets`.
import type { FastifyInstance } from 'fastify';
import { adminOnly, AppError, invalidField, parseInput } from '../../http/index.ts';
import { CreateSecretBody, SECRETS_PATH, secretView, type SecretsRouteDeps } from './secrets-schema.ts';

export function registerSecretsCreate(app: FastifyInstance, deps: SecretsRouteDeps): void {
  app.post(SECRETS_PATH, { preHandler: adminOnly }, async (request, reply) => {
    const body = parseInput(CreateSecretBody, request.body);
    const scope = body.scope ?? (body.namespace !== undefined ? 'namespace' : 'global');
    if (scope === 'namespace' && body.namespace === undefined) throw invalidField('namespace', 'is required when scope is "namespace"');
    if (scope === 'global' && body.namespace !== undefined) throw invalidField('namespace', 'must be absent when scope is "global" (or set scope to "namespace")');
    const row = await deps.secrets.create({
      name: body.name, value: body.value, scope, namespace: body.namespace ?? null, description: body.description ?? null,
      expires_at: body.expires_at ? new Date(body.expires_at) : null,
    }, request.principal);
    if (!row) {
      throw new AppError('ALREADY_EXISTS', {
        message: `A ${scope} secret named "${body.name}" already exists`,
        hint: `Change it with PUT ${SECRETS_PATH}/by-name/${body.name}${scope === 'namespace' ? `?namespace=${body.namespace}` : ''}`,
      });
    }
    return reply.code(201).send(secretView(row));
  });
}
