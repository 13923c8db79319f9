// GET · PUT · DELETE /api/v1/admin/jobs/functions/:namespace/:name → JobFunction · JobFunction · 204.
import type { FastifyInstance } from 'fastify';
import { adminOnly, parseInput } from '../../http/index.ts';
import { UpdateBody } from '../job-input.ts';
import { functionView } from '../view.ts';
import { adminCaller, ADMIN_JOBS_PATH, functionParams, type JobsRouteDeps } from './schema.ts';

export function registerJobsAdminFunction(app: FastifyInstance, deps: JobsRouteDeps): void {
  const path = `${ADMIN_JOBS_PATH}/functions/:namespace/:name`;
  app.get(path, { preHandler: adminOnly }, async (request) => {
    const { namespace, name } = functionParams(request);
    return functionView(await deps.service.getFunction(namespace, name));
  });
  app.put(path, { preHandler: adminOnly }, async (request) => {
    const { namespace, name } = functionParams(request);
    return functionView(await deps.service.update(adminCaller(request), namespace, name, parseInput(UpdateBody, request.body)));
  });
  app.delete(path, { preHandler: adminOnly }, async (request, reply) => {
    const { namespace, name } = functionParams(request);
    await deps.service.deleteFunction(namespace, name);
    return reply.code(204).send();
  });
}
