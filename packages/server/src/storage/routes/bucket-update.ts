// PUT /api/v1/storage/buckets/:bucket {public?, allowed_mime_types?, max_file_size?} → Bucket (admin).
import type { FastifyInstance } from 'fastify';
import { adminOnly, optionalBody, parseInput } from '../../http/index.ts';
import { BucketBody } from './bucket-input.ts';
import { adminOf, bucketParam, STORAGE_PATH, type StorageRouteDeps } from './schema.ts';

export function registerBucketUpdate(app: FastifyInstance, deps: StorageRouteDeps): void {
  app.put(`${STORAGE_PATH}/buckets/:bucket`, { preHandler: adminOnly }, async (request) =>
    deps.service.updateBucket(adminOf(request), bucketParam(request), parseInput(optionalBody(BucketBody), request.body)));
}
