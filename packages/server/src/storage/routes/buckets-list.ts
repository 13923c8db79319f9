// GET /api/v1/storage/buckets → {buckets: [Bucket]} (those the caller's role may see).
import type { FastifyInstance } from 'fastify';
import { callerOf, STORAGE_PATH, type StorageRouteDeps } from './schema.ts';

export function registerBucketsList(app: FastifyInstance, deps: StorageRouteDeps): void {
  app.get(`${STORAGE_PATH}/buckets`, async (request) => ({ buckets: await deps.service.listBuckets(callerOf(request)) }));
}
