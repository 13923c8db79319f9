// POST /api/v1/jobs/:id/retry → Job (pending, retry_count + 1); 409 unless failed, cancelled or interrupted.
import type { FastifyInstance } from 'fastify';
import { jobView } from '../view.ts';
import { callerOf, jobId, JOBS_PATH, type JobsRouteDeps } from './schema.ts';

export function registerJobsRetry(app: FastifyInstance, deps: JobsRouteDeps): void {
  app.post(`${JOBS_PATH}/:id/retry`, async (request) => jobView(await deps.service.retry(await callerOf(request, 'write:jobs'), jobId(request)), deps.now()));
}
