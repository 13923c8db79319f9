// Jobs (API.md §11.2): work in progress. The queue's SQL (queue-store.ts, migration 014) is in
// place and tested; the worker, the routes, cron and the SDK are still to come (issue 14).
export * from './queue-store.ts';
export { JobWorker, type JobProgram, type JobRuntime, type JobWorkerOptions } from './worker.ts';
