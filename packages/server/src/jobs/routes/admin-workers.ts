// GET /api/v1/admin/jobs/workers → [{id, hostname, pid, status, capacity, current_jobs, started_at,
// last_heartbeat_at, stopped_at}] · GET stats → queue statistics.
import type { FastifyInstance } from 'fastify';
import { adminOnly } from '../../http/index.ts';
import { ADMIN_JOBS_PATH, type JobsRouteDeps } from './schema.ts';

export function registerJobsAdminWorkers(app: FastifyInstance, deps: JobsRouteDeps): void {
  app.get(`${ADMIN_JOBS_PATH}/workers`, { preHandler: adminOnly }, async () => deps.service.workers());
  app.get(`${ADMIN_JOBS_PATH}/stats`, { preHandler: adminOnly }, async () => deps.service.stats());
}
