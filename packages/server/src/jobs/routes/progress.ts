// GET /api/v1/jobs/:id/progress → {job_id, status, progress_percent, progress_message, progress_data,
// estimated_seconds_left, estimated_completion_at, last_progress_at}.
import type { FastifyInstance } from 'fastify';
import { progressView } from '../view.ts';
import { callerOf, jobId, JOBS_PATH, type JobsRouteDeps } from './schema.ts';

export function registerJobsProgress(app: FastifyInstance, deps: JobsRouteDeps): void {
  app.get(`${JOBS_PATH}/:id/progress`, async (request) => progressView(await deps.service.get(await callerOf(request, 'read:jobs'), jobId(request)), deps.now()));
}
