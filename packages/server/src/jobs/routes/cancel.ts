// POST /api/v1/jobs/:id/cancel → Job (cancelled; a running job is stopped by its worker, on
// whichever instance); 409 unless pending, running or interrupted.
import type { FastifyInstance } from 'fastify';
import { jobView } from '../view.ts';
import { callerOf, jobId, JOBS_PATH, type JobsRouteDeps } from './schema.ts';

export function registerJobsCancel(app: FastifyInstance, deps: JobsRouteDeps): void {
  app.post(`${JOBS_PATH}/:id/cancel`, async (request) => jobView(await deps.service.cancel(await callerOf(request, 'write:jobs'), jobId(request)), deps.now()));
}
