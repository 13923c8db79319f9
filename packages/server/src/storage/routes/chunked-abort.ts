// DELETE /api/v1/storage/:bucket/chunked/:id → 204: the session and its staged chunks are removed.
import type { FastifyInstance } from 'fastify';
import { sessionIdParam, type ChunkedRouteDeps } from './chunked-schema.ts';
import { bucketParam, callerOf, STORAGE_PATH } from './schema.ts';

export function registerChunkedAbort(app: FastifyInstance, deps: ChunkedRouteDeps): void {
  app.delete(`${STORAGE_PATH}/:bucket/chunked/:id`, async (request, reply) => {
    await deps.chunked.abort(callerOf(request), bucketParam(request), sessionIdParam(request));
    return reply.code(204).send();
  });
}
