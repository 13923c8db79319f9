// POST /api/v1/jobs/submit {job_name, namespace?, payload?, priority?, scheduled_at?, max_retries?,
// timeout_seconds?, on_behalf_of?} → 201 Job.
import type { FastifyInstance } from 'fastify';
import { parseInput } from '../../http/index.ts';
import { SubmitBody } from '../job-input.ts';
import { jobView } from '../view.ts';
import { callerOf, JOBS_PATH, type JobsRouteDeps } from './schema.ts';

export function registerJobsSubmit(app: FastifyInstance, deps: JobsRouteDeps): void {
  app.post(`${JOBS_PATH}/submit`, async (request, reply) => {
    const caller = await callerOf(request, 'write:jobs');
    const body = parseInput(SubmitBody, request.body);
    return reply.code(201).send(jobView(await deps.service.submit(caller, body), deps.now()));
  });
}
