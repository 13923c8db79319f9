// POST /api/v1/storage/:bucket/chunked/:id/complete → 201 Upload (200 when it replaced an
// object with upsert): the staged chunks stored as the object. 409 with `details.missing_chunks`
// when some were never sent.
import type { FastifyInstance } from 'fastify';
import { sessionIdParam, type ChunkedRouteDeps } from './chunked-schema.ts';
import { uploadView } from './views.ts';
import { bucketParam, callerOf, STORAGE_PATH } from './schema.ts';

export function registerChunkedComplete(app: FastifyInstance, deps: ChunkedRouteDeps): void {
  app.post(`${STORAGE_PATH}/:bucket/chunked/:id/complete`, async (request, reply) => {
    const r = await deps.chunked.complete(callerOf(request), bucketParam(request), sessionIdParam(request));
    return reply.code(r.created ? 201 : 200).send(uploadView(r.object));
  });
}
