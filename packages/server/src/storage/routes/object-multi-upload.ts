// POST /api/v1/storage/:bucket/multipart: a multipart form with repeated file parts `files`,
// each stored under its file name (after the `prefix` field, when one is sent before the
// files) → 201 {uploaded: [Upload], count, errors?: [{file, error: {code, message}}]}. Each
// file is a StorageService.upload of its own (checked before its bytes, streamed, committed),
// so one file's refusal (403, 409, 413, 415, a bad name) is reported in `errors` and the
// others are still stored. A missing bucket, a malformed form or a server failure fails the
// request; so does going past the request body limit (storage_limit), counted over all parts.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { AppError, bodyLimitFor, payloadTooLarge } from '../../http/index.ts';
import { isMultipart, multipartUploads, type UploadSource } from '../upload-body.ts';
import { uploadView } from './views.ts';
import { bucketParam, callerOf, STORAGE_PATH, type StorageRouteDeps } from './schema.ts';

/** At most this many files per request. */
const MAX_FILES = 100;

type Upload = ReturnType<typeof uploadView>;
interface FileError {
  file: string;
  error: { code: string; message: string };
}

function bodyOf(request: FastifyRequest): Readable {
  const b = request.body as Readable | undefined;
  return b && typeof b.on === 'function' ? b : request.raw;
}

/** The form's `prefix` field (sent before the files); upload-body.ts hands the fields read so far to each part. */
function prefixOf(source: UploadSource): string {
  const fields = (source as UploadSource & { fields?: ReadonlyMap<string, string> }).fields;
  const p = fields?.get('prefix') ?? '';
  return p === '' || p.endsWith('/') ? p : `${p}/`;
}

/** Reads the rest of a refused part, counting it (the request limit covers every byte read). */
function drain(stream: Readable): Promise<number> {
  return new Promise((resolve) => {
    if (stream.readableEnded) {
      resolve(0);
      return;
    }
    let n = 0;
    stream.on('data', (c: Buffer) => { n += c.length; });
    stream.once('end', () => resolve(n));
    stream.once('close', () => resolve(n));
    stream.once('error', () => resolve(n));
    stream.resume();
  });
}

export function registerObjectMultiUpload(app: FastifyInstance, deps: StorageRouteDeps): void {
  app.post(`${STORAGE_PATH}/:bucket/multipart`, async (request, reply) => {
    if (!isMultipart(request.headers)) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', { message: 'Send multipart/form-data with the files as repeated parts named "files"' });
    }
    const bucket = bucketParam(request);
    const caller = callerOf(request);
    const body = bodyOf(request);
    const limit = bodyLimitFor(`${STORAGE_PATH}/x`, deps.bodyLimits);
    let remaining = limit.bytes;
    const uploaded: Upload[] = [];
    const failed: FileError[] = [];
    try {
      await multipartUploads(request.headers, body, ['files'], MAX_FILES, async (source) => {
        const file = prefixOf(source) + (source.fileName ?? '');
        try {
          const r = await deps.service.upload(caller, bucket, file, source, { upsert: false, requestLimit: Math.max(remaining, 0) });
          remaining -= r.object.size;
          uploaded.push(uploadView(r.object));
        } catch (err) {
          const refused = err instanceof AppError && err.status < 500 && !(err.code === 'NOT_FOUND' && err.details?.resource === 'bucket');
          // A file stopped by what is left of the request limit ends the request, as a body over the limit does.
          const overRequest = err instanceof AppError && err.code === 'FILE_TOO_LARGE' && err.details?.max_file_size === Math.max(remaining, 0);
          if (!refused || overRequest) throw overRequest ? payloadTooLarge(limit) : err;
          remaining -= await drain(source.body);
          failed.push({ file, error: { code: err.code, message: err.message } });
        }
      });
    } catch (err) {
      if (!body.readableEnded) reply.header('connection', 'close');
      throw err;
    }
    return reply.code(201).send({ uploaded, count: uploaded.length, ...(failed.length > 0 ? { errors: failed } : {}) });
  });
}
