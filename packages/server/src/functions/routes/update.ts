// PUT and PATCH /api/v1/functions/:name[?namespace=] {code?, settings…} → 200 Function with a
// new version (admin). Fields left out keep their value; warm workers of the old version stop.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { adminOnly, parseInput } from '../../http/index.ts';
import { UpdateBody } from '../deploy.ts';
import { FUNCTIONS_PATH, functionRef, functionView, type FunctionsRouteDeps } from './schema.ts';

export function registerFunctionsUpdate(app: FastifyInstance, deps: FunctionsRouteDeps): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const { namespace, name } = functionRef(request);
    const body = parseInput(UpdateBody, request.body ?? {});
    return reply.send(functionView(await deps.service.update(namespace, name, body, request.principal)));
  };
  app.put(`${FUNCTIONS_PATH}/:name`, { preHandler: adminOnly }, handler);
  app.patch(`${FUNCTIONS_PATH}/:name`, { preHandler: adminOnly }, handler);
}
