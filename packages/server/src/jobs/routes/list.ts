// GET /api/v1/jobs?status&job_name&namespace&include_result&limit&offset → {jobs, limit, offset}
// (the caller's own jobs; the service role and admins see all).
import type { FastifyInstance } from 'fastify';
import { parseInput } from '../../http/index.ts';
import { ListQuery } from '../job-input.ts';
import { jobView } from '../view.ts';
import { callerOf, JOBS_PATH, type JobsRouteDeps } from './schema.ts';

export function registerJobsList(app: FastifyInstance, deps: JobsRouteDeps): void {
  app.get(JOBS_PATH, async (request) => {
    const caller = await callerOf(request, 'read:jobs');
    const q = parseInput(ListQuery, request.query, 'query');
    const rows = await deps.service.list(caller, { status: q.status, job_name: q.job_name, namespace: q.namespace, includeResult: q.include_result, limit: q.limit, offset: q.offset });
    return { jobs: rows.map((r) => jobView(r, deps.now())), limit: q.limit, offset: q.offset };
  });
}
