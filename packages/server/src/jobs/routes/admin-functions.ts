// GET /api/v1/admin/jobs/functions[?namespace=] → [JobFunction] · POST (deploy) {name, code, namespace?,
// schedule?, max_retries?, timeout_seconds?, progress_timeout_seconds?, require_roles?, ...} → 201 (200 when it
// replaced one).
import type { FastifyInstance } from 'fastify';
import { adminOnly, field, parseInput } from '../../http/index.ts';
import { z } from 'zod';
import { DeployBody } from '../job-input.ts';
import { functionView } from '../view.ts';
import { adminCaller, ADMIN_JOBS_PATH, type JobsRouteDeps } from './schema.ts';

const Query = z.object({ namespace: field.param(128) });

export function registerJobsAdminFunctions(app: FastifyInstance, deps: JobsRouteDeps): void {
  app.get(`${ADMIN_JOBS_PATH}/functions`, { preHandler: adminOnly }, async (request) => {
    const q = parseInput(Query, request.query, 'query');
    return (await deps.service.listFunctions(q.namespace)).map(functionView);
  });
  app.post(`${ADMIN_JOBS_PATH}/functions`, { preHandler: adminOnly }, async (request, reply) => {
    const { row, created } = await deps.service.deploy(adminCaller(request), parseInput(DeployBody, request.body));
    return reply.code(created ? 201 : 200).send(functionView(row));
  });
}
