// The job list of `jobs.list` and `jobs.admin.listQueue`: the SDK's options as the query of
// API.md §11.2, and the answer checked to be the server's `{jobs, limit, offset}` page.
import { FluxbaseError } from '../errors.ts';
import type { FluxbaseResponse, FluxbaseResult } from '../transport.ts';
import type { JobList, ListJobsOptions } from './types.ts';

export function listQuery(o: ListJobsOptions) {
  return {
    status: o.status, job_name: o.jobName, namespace: o.namespace, limit: o.limit, offset: o.offset,
    include_result: o.includeResult === undefined ? undefined : String(o.includeResult),
  };
}

export async function jobListResult<Result>(pending: Promise<FluxbaseResponse<unknown>>): Promise<FluxbaseResult<JobList<Result>>> {
  const res = await pending;
  if (res.error) return { data: null, error: res.error };
  const body = res.data as Partial<JobList<Result>> | null;
  if (body === null || typeof body !== 'object' || !Array.isArray(body.jobs)) {
    const requestId = res.headers.get('x-request-id') ?? undefined;
    return { data: null, error: new FluxbaseError({ status: res.status, code: 'INVALID_RESPONSE', error: 'Invalid response', message: 'Expected a job list {jobs, limit, offset}', requestId }) };
  }
  return { data: body as JobList<Result>, error: null };
}
