// GET · HEAD · PUT /api/v1/storage/object?token=<t>: access by signed URL, for every backend
// (API.md §10). The grant (bucket, key, method, transform, expiry) is the authorization: a bad
// or expired token is 401 INVALID_SIGNED_URL, another method 405. A GET serves the object
// exactly as the download route does (the grant's transform, never the query's); a PUT stores
// the body as an upsert by the service role on behalf of the grant, owned by the user who
// signed it (none when a service key signed it).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { bodyLimitFor } from '../../http/index.ts';
import { rawUpload } from '../upload-body.ts';
import { sendObject } from './object-download.ts';
import { uploadView } from './views.ts';
import { adminOf, STORAGE_PATH, type StorageRouteDeps } from './schema.ts';

function tokenOf(request: FastifyRequest): unknown {
  return (request.query as { token?: unknown }).token;
}

export function registerObjectSigned(app: FastifyInstance, deps: StorageRouteDeps): void {
  app.route({
    method: ['GET', 'HEAD'],
    url: `${STORAGE_PATH}/object`,
    config: { public: true },
    handler: async (request, reply) => {
      const grant = deps.service.grantOf(tokenOf(request), request.method);
      const row = await deps.service.find(adminOf(request), grant.bucket, grant.key);
      return sendObject(request, reply, deps.service, deps.transformer, row, grant.transform, deps.onSent);
    },
  });
  app.route({
    method: ['PUT', 'POST'],
    url: `${STORAGE_PATH}/object`,
    config: { public: true },
    handler: async (request, reply) => {
      const grant = deps.service.grantOf(tokenOf(request), request.method);
      const b = request.body as Readable | undefined;
      const body = b && typeof b.on === 'function' ? b : request.raw;
      const size = request.headers['content-length'] === undefined ? undefined : Number(request.headers['content-length']);
      const result = await deps.service.upload(adminOf(request), grant.bucket, grant.key, rawUpload(request.headers, body, grant.key), {
        upsert: true, declaredSize: size, ownerId: grant.owner ?? null, requestLimit: bodyLimitFor(`${STORAGE_PATH}/x`, deps.bodyLimits).bytes,
      });
      return reply.code(200).send(uploadView(result.object));
    },
  });
}
