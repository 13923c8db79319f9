// GET and HEAD /api/v1/storage/:bucket/<path> (API.md §10): the bytes, streamed, with
// Content-Type, Content-Length, ETag, Last-Modified, Accept-Ranges, Cache-Control and
// Content-Disposition (`attachment`, `inline` with ?inline=true, a file name with
// ?download=name); a single Range → 206, past the end → 416; If-None-Match → 304; transform
// parameters (width, height, format, quality, fit) → the transformed image. The same answer
// serves signed URLs (object-signed.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errors } from '../../http/index.ts';
import type { ObjectRow } from '../object-store.ts';
import { contentRange, decideRange } from '../range.ts';
import type { StorageService } from '../service.ts';
import { parseTransformQuery, type TransformSpec } from '../transform-params.ts';
import { ImageTooLargeError, NotAnImageError, TransformBusyError, type ImageTransformer } from '../transformer.ts';
import { bucketParam, callerOf, objectPath, STORAGE_PATH, type StorageRouteDeps } from './schema.ts';

const DEFAULT_CACHE_CONTROL = 'max-age=3600';

function disposition(row: ObjectRow, query: Record<string, unknown>): string {
  const file = typeof query.download === 'string' && query.download !== '' ? query.download : row.name.split('/').pop()!;
  const kind = query.inline === 'true' && query.download === undefined ? 'inline' : 'attachment';
  return `${kind}; filename="${file.replace(/["\\\r\n]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(file)}`;
}

/** Sends the object (or its transform) as API.md §10 says. */
export async function sendObject(
  request: FastifyRequest, reply: FastifyReply, service: StorageService, transformer: ImageTransformer | undefined,
  row: ObjectRow, spec: TransformSpec | undefined, sent?: (bytes: number) => void,
): Promise<FastifyReply> {
  const query = request.query as Record<string, unknown>;
  const etag = `"${row.etag ?? row.version}"`;
  void reply.header('ETag', etag).header('Last-Modified', row.updated_at.toUTCString()).header('Cache-Control', row.cache_control ?? DEFAULT_CACHE_CONTROL)
    .header('Content-Disposition', disposition(row, query));
  if (spec) {
    if (!transformer) throw new AppError('FEATURE_DISABLED', { message: 'Image transforms are disabled on this server (storage.transforms.enabled)' });
    const tEtag = `"${row.etag ?? row.version}-${Buffer.from(JSON.stringify(spec)).toString('base64url')}"`;
    void reply.header('ETag', tEtag);
    if (request.headers['if-none-match'] === tEtag) return reply.code(304).send();
    try {
      const out = await transformer.transform(async () => (await service.open(row)).body, row.mime_type ?? 'application/octet-stream', spec, `${row.bucket_id}/${row.name}#${row.version}`);
      void reply.header('Content-Type', out.contentType).header('X-Image-Transformed', 'true').header('Content-Length', String(out.body.length));
      if (request.method !== 'HEAD') sent?.(out.body.length);
      return reply.code(200).send(request.method === 'HEAD' ? undefined : out.body);
    } catch (err) {
      throw transformError(err);
    }
  }
  void reply.header('Content-Type', row.mime_type ?? 'application/octet-stream').header('Accept-Ranges', 'bytes');
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  const range = decideRange(typeof request.headers.range === 'string' ? request.headers.range : undefined, row.size);
  if (range.kind === 'unsatisfiable') {
    throw new AppError('RANGE_NOT_SATISFIABLE', { message: `The range is past the end of the object (${row.size} bytes)`, headers: { 'Content-Range': contentRange(range, row.size)! } });
  }
  const length = range.kind === 'partial' ? range.end - range.start + 1 : row.size;
  void reply.header('Content-Length', String(length));
  if (range.kind === 'partial') void reply.code(206).header('Content-Range', contentRange(range, row.size)!);
  if (request.method === 'HEAD' || length === 0) return reply.send();
  const { body } = await service.open(row, range.kind === 'partial' ? { start: range.start, end: range.end } : undefined);
  sent?.(length);
  return reply.send(body);
}

function transformError(err: unknown): unknown {
  if (err instanceof NotAnImageError) {
    return new AppError(err.reason === 'unsupported_type' ? 'UNSUPPORTED_MEDIA_TYPE' : 'VALIDATION_FAILED', { message: `This object cannot be transformed: ${err.message}` });
  }
  if (err instanceof ImageTooLargeError) return new AppError('VALIDATION_FAILED', { message: err.message, hint: 'Download it without transform parameters' });
  if (err instanceof TransformBusyError) return errors.serviceUnavailable('Image transforms are at capacity; retry in a moment', err.retryAfterSeconds);
  return err;
}

export function registerObjectDownload(app: FastifyInstance, deps: StorageRouteDeps): void {
  app.route({
    method: ['GET', 'HEAD'],
    url: `${STORAGE_PATH}/:bucket/*`,
    handler: async (request, reply) => {
      const parsed = parseTransformQuery(request.query as Record<string, unknown>, deps.transformLimits);
      if (!parsed.ok) throw new AppError('VALIDATION_FAILED', { message: `${parsed.field} ${parsed.message}`, details: { fields: { [parsed.field]: parsed.message } } });
      const row = await deps.service.find(callerOf(request), bucketParam(request), objectPath(request));
      return sendObject(request, reply, deps.service, deps.transformer, row, parsed.spec, deps.onSent);
    },
  });
}
