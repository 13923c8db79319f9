// GET /api/v1/jobs/:id/logs?after_line=N (also after=N) → {logs: [{line_number, level, message, timestamp}], count}.
import type { FastifyInstance } from 'fastify';
import { parseInput } from '../../http/index.ts';
import { LogsQuery } from '../job-input.ts';
import { logsView } from '../view.ts';
import { callerOf, jobId, JOBS_PATH, type JobsRouteDeps } from './schema.ts';

export function registerJobsLogs(app: FastifyInstance, deps: JobsRouteDeps): void {
  app.get(`${JOBS_PATH}/:id/logs`, async (request) => {
    const caller = await callerOf(request, 'read:jobs');
    const q = parseInput(LogsQuery, request.query, 'query');
    return logsView(await deps.service.logs(caller, jobId(request), q.after_line || q.after, q.limit));
  });
}
