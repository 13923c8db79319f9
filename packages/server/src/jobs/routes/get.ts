// GET /api/v1/jobs/:id → Job (another user's: 404).
import type { FastifyInstance } from 'fastify';
import { jobView } from '../view.ts';
import { callerOf, jobId, JOBS_PATH, type JobsRouteDeps } from './schema.ts';

export function registerJobsGet(app: FastifyInstance, deps: JobsRouteDeps): void {
  app.get(`${JOBS_PATH}/:id`, async (request) => jobView(await deps.service.get(await callerOf(request, 'read:jobs'), jobId(request)), deps.now()));
}
