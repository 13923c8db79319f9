// POST /api/v1/storage/buckets/:bucket {public?, allowed_mime_types?, max_file_size?} → 201 Bucket + message
// (admin; 409 ALREADY_EXISTS).
import type { FastifyInstance } from 'fastify';
import { adminOnly, optionalBody, parseInput } from '../../http/index.ts';
import { BucketBody } from './bucket-input.ts';
import { adminOf, bucketParam, STORAGE_PATH, type StorageRouteDeps } from './schema.ts';

export function registerBucketCreate(app: FastifyInstance, deps: StorageRouteDeps): void {
  app.post(`${STORAGE_PATH}/buckets/:bucket`, { preHandler: adminOnly }, async (request, reply) => {
    const body = parseInput(optionalBody(BucketBody), request.body);
    const bucket = await deps.service.createBucket(adminOf(request), bucketParam(request), body);
    return reply.code(201).send({ ...bucket, message: `Bucket "${bucket.name}" created` });
  });
}
