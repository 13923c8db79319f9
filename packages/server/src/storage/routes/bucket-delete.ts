// DELETE /api/v1/storage/buckets/:bucket → 204 (admin; 409 BUCKET_NOT_EMPTY while it holds objects).
import type { FastifyInstance } from 'fastify';
import { adminOnly } from '../../http/index.ts';
import { adminOf, bucketParam, STORAGE_PATH, type StorageRouteDeps } from './schema.ts';

export function registerBucketDelete(app: FastifyInstance, deps: StorageRouteDeps): void {
  app.delete(`${STORAGE_PATH}/buckets/:bucket`, { preHandler: adminOnly }, async (request, reply) => {
    await deps.service.deleteBucket(adminOf(request), bucketParam(request));
    return reply.code(204).send();
  });
}
