// GET /api/v1/storage/:bucket?prefix&delimiter&limit=1000&offset=0&search → {bucket, objects,
// files, prefixes, count} (`files` repeats `objects`; the objects the caller may see).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { field, parseInput } from '../../http/index.ts';
import { objectView } from './views.ts';
import { bucketParam, callerOf, STORAGE_PATH, type StorageRouteDeps } from './schema.ts';

const Query = z.object({
  prefix: field.param(1024),
  delimiter: field.param(1),
  search: field.param(255),
  limit: field.intParam(1, 10_000, 1000),
  offset: field.intParam(0, 10_000_000, 0),
});

export function registerObjectList(app: FastifyInstance, deps: StorageRouteDeps): void {
  app.get(`${STORAGE_PATH}/:bucket`, async (request) => {
    const q = parseInput(Query, request.query, 'query');
    const bucket = bucketParam(request);
    const r = await deps.service.list(callerOf(request), bucket, { prefix: q.prefix, delimiter: q.delimiter, search: q.search, limit: q.limit, offset: q.offset });
    const objects = r.objects.map(objectView);
    return { bucket, objects, files: objects, prefixes: r.prefixes, count: r.count };
  });
}
