// POST /api/v1/storage/:bucket/<path> (201; upsert only when asked: field `upsert`, or
// `x-upsert: true`) and PUT (200, always upsert): a multipart form with the file in `file`, or
// any other content type as the raw bytes. POST /:bucket/stream/<path>: raw bytes described by
// X-Storage-* headers. Bytes stream to the backend; the limit holds on bytes read.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { bodyLimitFor } from '../../http/index.ts';
import { isMultipart, multipartUploads, rawUpload, streamUpload, type UploadSource } from '../upload-body.ts';
import { uploadView } from './views.ts';
import { bucketParam, callerOf, objectPath, STORAGE_PATH, type StorageRouteDeps } from './schema.ts';

function bodyOf(request: FastifyRequest): Readable {
  const b = request.body as Readable | undefined;
  return b && typeof b.on === 'function' ? b : request.raw;
}

function declaredSize(request: FastifyRequest): number | undefined {
  const v = request.headers['content-length'];
  return v === undefined ? undefined : Number(v);
}

export function registerObjectUpload(app: FastifyInstance, deps: StorageRouteDeps): void {
  const upload = (form: 'object' | 'stream', upsertDefault: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const bucket = bucketParam(request);
    const name = objectPath(request);
    const body = bodyOf(request);
    const caller = callerOf(request);
    const requestLimit = bodyLimitFor(`${STORAGE_PATH}/x`, deps.bodyLimits).bytes;
    const store = (source: UploadSource, size: number | undefined) =>
      deps.service.upload(caller, bucket, name, source, { upsert: upsertDefault, declaredSize: size, requestLimit });
    let result;
    try {
      if (form === 'object' && isMultipart(request.headers)) {
        let done: Awaited<ReturnType<typeof store>> | undefined;
        await multipartUploads(request.headers, body, ['file'], 1, async (source) => {
          done = await store(source, undefined);
        });
        result = done!;
      } else {
        const source = form === 'stream' ? streamUpload(request.headers, body, name) : rawUpload(request.headers, body, name);
        result = await store(source, declaredSize(request));
      }
    } catch (err) {
      // Refused before or while reading: the rest of the body is not wanted, and the client
      // must not be left writing into a socket nobody reads (it gets the answer, then the close).
      if (!body.readableEnded) reply.header('connection', 'close');
      throw err;
    }
    return reply.code(result.created || !upsertDefault ? 201 : 200).send(uploadView(result.object));
  };
  app.post(`${STORAGE_PATH}/:bucket/stream/*`, upload('stream', false));
  app.post(`${STORAGE_PATH}/:bucket/*`, upload('object', false));
  app.put(`${STORAGE_PATH}/:bucket/*`, upload('object', true));
}
