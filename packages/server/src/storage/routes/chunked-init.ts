// POST /api/v1/storage/:bucket/chunked/init {path, total_size, chunk_size? (5 MiB, raised to
// at least that), content_type?, metadata?, cache_control?, upsert?} → 201 session. Refused
// (404, 403, 409, 413, 415) when the upload it announces would be refused now.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { bodyLimitFor, parseInput } from '../../http/index.ts';
import { sessionView, type ChunkedRouteDeps } from './chunked-schema.ts';
import { bucketParam, callerOf, jsonBody, STORAGE_PATH } from './schema.ts';

const Body = z.strictObject({
  path: z.string().min(1).max(1024),
  total_size: z.number().int().positive(),
  chunk_size: z.number().int().positive().optional(),
  content_type: z.string().min(1).max(255).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  cache_control: z.string().min(1).max(255).optional(),
  upsert: z.boolean().optional(),
});

export function registerChunkedInit(app: FastifyInstance, deps: ChunkedRouteDeps): void {
  app.post(`${STORAGE_PATH}/:bucket/chunked/init`, async (request, reply) => {
    const body = parseInput(Body, await jsonBody(request));
    const maxChunk = bodyLimitFor(`${STORAGE_PATH}/x`, deps.bodyLimits).bytes;
    const s = await deps.chunked.init(callerOf(request), bucketParam(request), body, maxChunk);
    return reply.code(201).send(sessionView(s, false));
  });
}
