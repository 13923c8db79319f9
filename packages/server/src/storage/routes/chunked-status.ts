// GET /api/v1/storage/:bucket/chunked/:id/status → the session (received_chunks, missing,
// total_chunks, expires_at, …; status `expired` past its expiry). 404 for another user's.
import type { FastifyInstance } from 'fastify';
import { sessionIdParam, sessionView, type ChunkedRouteDeps } from './chunked-schema.ts';
import { bucketParam, callerOf, STORAGE_PATH } from './schema.ts';

export function registerChunkedStatus(app: FastifyInstance, deps: ChunkedRouteDeps): void {
  app.get(`${STORAGE_PATH}/:bucket/chunked/:id/status`, async (request) => {
    const s = await deps.chunked.status(callerOf(request), bucketParam(request), sessionIdParam(request));
    return sessionView(s, deps.chunked.expired(s));
  });
}
