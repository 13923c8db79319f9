// DELETE /api/v1/storage/:bucket/<path> → 204; 404 when absent or not the caller's to delete.
import type { FastifyInstance } from 'fastify';
import { bucketParam, callerOf, objectPath, STORAGE_PATH, type StorageRouteDeps } from './schema.ts';

export function registerObjectDelete(app: FastifyInstance, deps: StorageRouteDeps): void {
  app.delete(`${STORAGE_PATH}/:bucket/*`, async (request, reply) => {
    await deps.service.remove(callerOf(request), bucketParam(request), objectPath(request));
    return reply.code(204).send();
  });
}
