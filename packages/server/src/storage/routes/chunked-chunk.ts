// PUT /api/v1/storage/:bucket/chunked/:id/:index: the raw bytes of chunk `index` (0-based),
// exactly chunk_size bytes except the last → {chunk_index, size, etag, session}. A wrong size
// is 400 (before reading when Content-Length says so); an unknown, another user's or expired
// session 404; a completing one 409.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { invalidField } from '../../http/index.ts';
import { sessionIdParam, sessionView, type ChunkedRouteDeps } from './chunked-schema.ts';
import { bucketParam, callerOf, STORAGE_PATH } from './schema.ts';

function bodyOf(request: FastifyRequest): Readable {
  const b = request.body as Readable | undefined;
  return b && typeof b.on === 'function' ? b : request.raw;
}

function indexParam(request: FastifyRequest): number {
  const raw = (request.params as { index?: string }).index ?? '';
  if (!/^\d{1,9}$/.test(raw)) throw invalidField('chunk_index', 'must be a non-negative integer');
  return Number(raw);
}

export function registerChunkedChunk(app: FastifyInstance, deps: ChunkedRouteDeps): void {
  app.put(`${STORAGE_PATH}/:bucket/chunked/:id/:index`, async (request, reply) => {
    const body = bodyOf(request);
    const length = request.headers['content-length'];
    try {
      const index = indexParam(request);
      const r = await deps.chunked.putChunk(callerOf(request), bucketParam(request), sessionIdParam(request), index, body, length === undefined ? undefined : Number(length));
      return reply.send({ chunk_index: index, size: r.size, etag: r.etag, session: sessionView(r.session, false) });
    } catch (err) {
      // Refused before or while reading: the rest of the chunk is not wanted.
      if (!body.readableEnded) reply.header('connection', 'close');
      throw err;
    }
  });
}
