// POST /api/v1/storage/:bucket/move {from_path, to_path} → 200 {message, path} and
// POST /:bucket/copy {from_path, to_path} → 201 {path, id}. A move changes the row only (bytes
// are kept by version); a copy copies the bytes under a new version, then inserts the row.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../../http/index.ts';
import { bucketParam, callerOf, jsonBody, STORAGE_PATH, type StorageRouteDeps } from './schema.ts';

const Body = z.strictObject({ from_path: z.string().min(1).max(1024), to_path: z.string().min(1).max(1024) });

export function registerObjectMoveCopy(app: FastifyInstance, deps: StorageRouteDeps): void {
  app.post(`${STORAGE_PATH}/:bucket/move`, async (request) => {
    const b = parseInput(Body, await jsonBody(request));
    const row = await deps.service.move(callerOf(request), bucketParam(request), b.from_path, b.to_path);
    return { message: 'Successfully moved', path: row.name };
  });
  app.post(`${STORAGE_PATH}/:bucket/copy`, async (request, reply) => {
    const b = parseInput(Body, await jsonBody(request));
    const row = await deps.service.copy(callerOf(request), bucketParam(request), b.from_path, b.to_path);
    return reply.code(201).send({ path: row.name, id: row.id });
  });
}
