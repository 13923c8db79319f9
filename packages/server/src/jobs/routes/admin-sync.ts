// POST /api/v1/admin/jobs/sync {namespace?, jobs: [{name, code, ...}], options?: {delete_missing, dry_run}}
// → {message, namespace, summary, details, errors, dry_run} (the shape of functions sync).
import type { FastifyInstance } from 'fastify';
import { adminOnly, parseInput } from '../../http/index.ts';
import { SyncBody } from '../job-input.ts';
import { adminCaller, ADMIN_JOBS_PATH, type JobsRouteDeps } from './schema.ts';

export function registerJobsAdminSync(app: FastifyInstance, deps: JobsRouteDeps): void {
  app.post(`${ADMIN_JOBS_PATH}/sync`, { preHandler: adminOnly }, async (request) => deps.service.sync(adminCaller(request), parseInput(SyncBody, request.body)));
}
