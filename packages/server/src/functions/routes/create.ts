// POST /api/v1/functions {Deploy} → 201 Function (admin); 400 FUNCTION_BUNDLE_ERROR with the
// compiler's diagnostics; 409 ALREADY_EXISTS.
import type { FastifyInstance } from 'fastify';
import { adminOnly, parseInput } from '../../http/index.ts';
import { DeployBody } from '../deploy.ts';
import { FUNCTIONS_PATH, functionView, type FunctionsRouteDeps } from './schema.ts';

export function registerFunctionsCreate(app: FastifyInstance, deps: FunctionsRouteDeps): void {
  app.post(FUNCTIONS_PATH, { preHandler: adminOnly }, async (request, reply) => {
    const body = parseInput(DeployBody, request.body);
    const row = await deps.service.create(body, request.principal);
    return reply.code(201).send(functionView(row));
  });
}
