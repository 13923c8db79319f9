// Background jobs for the SDK client (`client.jobs`, API.md §11.2): submit, follow (get,
// progress, logs, wait), cancel and retry, and `admin` for job functions and the whole queue.
// It owns no credentials (the client's transport is passed in) and must not import the
// client (client.ts imports this folder).
export { JobsClient, isFinalJobStatus } from './jobs-client.ts';
export { JobsAdminClient } from './admin-client.ts';
export type * from './types.ts';
