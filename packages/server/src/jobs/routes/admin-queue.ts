// GET /api/v1/admin/jobs/queue (every user's jobs, the filters of GET /api/v1/jobs) · GET queue/:id ·
// POST queue/:id/cancel · POST queue/:id/retry · GET queue/:id/logs.
import type { FastifyInstance } from 'fastify';
import { adminOnly, parseInput } from '../../http/index.ts';
import { ListQuery, LogsQuery } from '../job-input.ts';
import { jobView, logsView } from '../view.ts';
import { adminCaller, ADMIN_JOBS_PATH, jobId, type JobsRouteDeps } from './schema.ts';

export function registerJobsAdminQueue(app: FastifyInstance, deps: JobsRouteDeps): void {
  const base = `${ADMIN_JOBS_PATH}/queue`;
  app.get(base, { preHandler: adminOnly }, async (request) => {
    const q = parseInput(ListQuery, request.query, 'query');
    const rows = await deps.service.list(adminCaller(request), { status: q.status, job_name: q.job_name, namespace: q.namespace, includeResult: q.include_result, limit: q.limit, offset: q.offset });
    return { jobs: rows.map((r) => jobView(r, deps.now())), limit: q.limit, offset: q.offset };
  });
  app.get(`${base}/:id`, { preHandler: adminOnly }, async (request) => jobView(await deps.service.get(adminCaller(request), jobId(request)), deps.now()));
  app.post(`${base}/:id/cancel`, { preHandler: adminOnly }, async (request) => jobView(await deps.service.cancel(adminCaller(request), jobId(request)), deps.now()));
  app.post(`${base}/:id/retry`, { preHandler: adminOnly }, async (request) => jobView(await deps.service.retry(adminCaller(request), jobId(request)), deps.now()));
  app.get(`${base}/:id/logs`, { preHandler: adminOnly }, async (request) => {
    const q = parseInput(LogsQuery, request.query, 'query');
    return logsView(await deps.service.logs(adminCaller(request), jobId(request), q.after_line || q.after, q.limit));
  });
}
