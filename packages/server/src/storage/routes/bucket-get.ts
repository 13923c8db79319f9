// GET /api/v1/storage/buckets/:bucket → Bucket (404 when absent or invisible).
import type { FastifyInstance } from 'fastify';
import { bucketParam, callerOf, STORAGE_PATH, type StorageRouteDeps } from './schema.ts';

export function registerBucketGet(app: FastifyInstance, deps: StorageRouteDeps): void {
  app.get(`${STORAGE_PATH}/buckets/:bucket`, async (request) => deps.service.getBucket(callerOf(request), bucketParam(request)));
}
