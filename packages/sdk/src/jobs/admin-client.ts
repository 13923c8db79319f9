// `client.jobs.admin`: job functions (deploy, change, delete, sync a namespace) and the whole
// queue, every user's jobs (`/api/v1/admin/jobs`, API.md §11.2). Needs a service_role key or
// an admin user; others get INSUFFICIENT_PERMISSIONS.
import { arrayResult, emptyResult, objectResult } from '../result-shape.ts';
import type { FluxbaseResult, Transport } from '../transport.ts';
import { jobListResult, listQuery } from './job-list.ts';
import type {
  Job, JobFunction, JobFunctionDeploy, JobFunctionListOptions, JobFunctionUpdate, JobList, JobLogs, JobStats, JobSyncRequest,
  JobSyncResult, JobWorker, ListJobsOptions,
} from './types.ts';

const ADMIN = '/api/v1/admin/jobs';
const fnPath = (namespace: string, name: string) => `${ADMIN}/functions/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
const queuePath = (id: string) => `${ADMIN}/queue/${encodeURIComponent(id)}`;

export class JobsAdminClient {
  private readonly transport: Transport;

  /** Built by createClient. */
  constructor(transport: Transport) {
    this.transport = transport;
  }

  /** Every job function with its code, optionally of one namespace. */
  listFunctions(options: JobFunctionListOptions = {}): Promise<FluxbaseResult<JobFunction[]>> {
    return arrayResult(this.transport('GET', `${ADMIN}/functions`, { query: { namespace: options.namespace } }), 'a job function list');
  }

  getFunction(name: string, namespace = 'default'): Promise<FluxbaseResult<JobFunction>> {
    return objectResult(this.transport('GET', fnPath(namespace, name)), 'a job function');
  }

  /**
   * Create or replace a job function (201 created, 200 replaced). The code is type-checked
   * first: VALIDATION_FAILED with the compiler's message when it does not compile.
   */
  deployFunction(deploy: JobFunctionDeploy): Promise<FluxbaseResult<JobFunction>> {
    return objectResult(this.transport('POST', `${ADMIN}/functions`, { body: deploy }), 'a job function');
  }

  /** Change code or settings; fields left out keep their value. */
  updateFunction(name: string, fields: JobFunctionUpdate, namespace = 'default'): Promise<FluxbaseResult<JobFunction>> {
    return objectResult(this.transport('PUT', fnPath(namespace, name), { body: fields }), 'a job function');
  }

  deleteFunction(name: string, namespace = 'default'): Promise<FluxbaseResult<null>> {
    return emptyResult(this.transport('DELETE', fnPath(namespace, name)));
  }

  /** Make a namespace hold exactly these job functions (with `delete_missing`, deleting the others). */
  sync(request: JobSyncRequest): Promise<FluxbaseResult<JobSyncResult>> {
    return objectResult(this.transport('POST', `${ADMIN}/sync`, { body: request }), 'a sync result');
  }

  /** Every user's jobs, with the filters of `jobs.list`. */
  listQueue<Result = unknown>(options: ListJobsOptions = {}): Promise<FluxbaseResult<JobList<Result>>> {
    return jobListResult(this.transport('GET', `${ADMIN}/queue`, { query: listQuery(options) }));
  }

  getQueueJob<Result = unknown>(id: string): Promise<FluxbaseResult<Job<Result>>> {
    return objectResult(this.transport('GET', queuePath(id)), 'a job');
  }

  cancelQueueJob(id: string): Promise<FluxbaseResult<Job>> {
    return objectResult(this.transport('POST', `${queuePath(id)}/cancel`, { body: {} }), 'a job');
  }

  retryQueueJob(id: string): Promise<FluxbaseResult<Job>> {
    return objectResult(this.transport('POST', `${queuePath(id)}/retry`, { body: {} }), 'a job');
  }

  getQueueJobLogs(id: string, afterLine?: number): Promise<FluxbaseResult<JobLogs>> {
    return objectResult(this.transport('GET', `${queuePath(id)}/logs`, { query: { after_line: afterLine } }), 'a log list');
  }

  /** Workers of every instance: status, capacity, running jobs, heartbeat. */
  workers(): Promise<FluxbaseResult<JobWorker[]>> {
    return arrayResult(this.transport('GET', `${ADMIN}/workers`), 'a worker list');
  }

  /** Counts by status and by function, and the average run time of the last day. */
  stats(): Promise<FluxbaseResult<JobStats>> {
    return objectResult(this.transport('GET', `${ADMIN}/stats`), 'job statistics');
  }
}
