// What an upload request carries (API.md §10): the file's bytes as a stream (never read
// whole) and what describes them, from each of the upload forms:
// - a raw body: any content type but multipart; the request's Content-Type is the object's;
// - the stream route: a raw body with `X-Storage-Content-Type`, `X-Storage-Metadata` (JSON),
//   `X-Storage-Cache-Control` and `X-Storage-Upsert`;
// - multipart/form-data (busboy, streamed): the file part (`file`, or repeated `files` for the
//   multi-file route) and the fields `content_type`, `metadata` (a JSON string), `metadata_<k>`,
//   `cache_control` and `upsert`. Fields must come before their file part to apply to it
//   (browsers and the SDK send them first); `x-upsert: true` works for every form.
// A content type not given is guessed from the name's extension, else
// application/octet-stream. Bad descriptions (metadata that is not a JSON object, an upsert
// that is not true/false) are 400s raised before any byte is stored.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import mime from 'mime-types';
import { AppError, invalidField } from '../http/index.ts';

export interface UploadSource {
  body: Readable;
  contentType: string;
  cacheControl: string | undefined;
  metadata: Record<string, unknown> | undefined;
  upsert: boolean | undefined;
  /** The part's file name (multipart), for the multi-file route's keys. */
  fileName: string | undefined;
  fields?: ReadonlyMap<string, string> | undefined;
}

const MAX_METADATA_BYTES = 16 * 1024;
const MAX_FIELDS = 64;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function guessType(name: string): string {
  const t = mime.lookup(name);
  return typeof t === 'string' ? t : 'application/octet-stream';
}

function parseUpsert(value: string | undefined, field: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalidField(field, 'must be true or false');
}

function parseMetadata(value: string | undefined, field: string): Record<string, unknown> | undefined {
  if (value === undefined || value === '') return undefined;
  if (Buffer.byteLength(value) > MAX_METADATA_BYTES) throw invalidField(field, `must be at most ${MAX_METADATA_BYTES / 1024} KB`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw invalidField(field, 'must be a JSON object');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidField(field, 'must be a JSON object');
  return parsed as Record<string, unknown>;
}

export function isMultipart(headers: IncomingHttpHeaders): boolean {
  return /^multipart\/form-data/i.test(header(headers, 'content-type') ?? '');
}

/** A raw body (`POST`/`PUT /:bucket/<path>` with any non-multipart type). */
export function rawUpload(headers: IncomingHttpHeaders, body: Readable, name: string): UploadSource {
  const type = header(headers, 'content-type')?.split(';')[0]?.trim();
  return {
    body,
    contentType: type && type !== 'application/x-www-form-urlencoded' ? type : guessType(name),
    cacheControl: header(headers, 'cache-control'),
    metadata: undefined,
    upsert: parseUpsert(header(headers, 'x-upsert'), 'x-upsert'),
    fileName: undefined,
  };
}

/** The stream route (`POST /:bucket/stream/<path>`): raw bytes described by X-Storage-* headers. */
export function streamUpload(headers: IncomingHttpHeaders, body: Readable, name: string): UploadSource {
  return {
    body,
    contentType: header(headers, 'x-storage-content-type') ?? guessType(name),
    cacheControl: header(headers, 'x-storage-cache-control'),
    metadata: parseMetadata(header(headers, 'x-storage-metadata'), 'X-Storage-Metadata'),
    upsert: parseUpsert(header(headers, 'x-storage-upsert') ?? header(headers, 'x-upsert'), 'X-Storage-Upsert'),
    fileName: undefined,
  };
}

/**
 * Streams each file part of a multipart body to `onFile`, one at a time, in order; resolves
 * when the body ended and every `onFile` settled. `fileFields` names the parts that are files
 * (`file`, or `files`); other file parts are refused. A part's stream must be consumed (or
 * resumed) by `onFile`, or the body stalls.
 */
export function multipartUploads(
  headers: IncomingHttpHeaders, body: Readable, fileFields: string[], maxFiles: number,
  onFile: (source: UploadSource) => Promise<void>,
): Promise<{ files: number }> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers, limits: { fields: MAX_FIELDS, fieldSize: MAX_METADATA_BYTES, files: maxFiles, parts: MAX_FIELDS + maxFiles } });
    } catch (err) {
      reject(new AppError('VALIDATION_FAILED', { message: `The multipart body cannot be read: ${(err as Error).message}` }));
      return;
    }
    const fields = new Map<string, string>();
    const extra: Record<string, unknown> = {};
    let files = 0;
    let chain: Promise<void> = Promise.resolve();
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      body.unpipe(bb);
      body.resume();
      reject(err);
    };
    bb.on('field', (name, value) => {
      if (name.startsWith('metadata_') && name.length > 9) extra[name.slice(9)] = value;
      else fields.set(name, value);
    });
    bb.on('file', (name, stream, info) => {
      if (failed) {
        stream.resume();
        return;
      }
      if (!fileFields.includes(name)) {
        stream.resume();
        fail(invalidField(name, `is not a file field here; send the file as ${fileFields.map((f) => `"${f}"`).join(' or ')}`));
        return;
      }
      files++;
      let source: UploadSource;
      try {
        const metadata = parseMetadata(fields.get('metadata'), 'metadata');
        const given = fields.get('content_type') ?? fields.get('contentType');
        source = {
          body: stream,
          contentType: given ?? (info.mimeType && info.mimeType !== 'application/octet-stream' ? info.mimeType : guessType(info.filename ?? '')),
          cacheControl: fields.get('cache_control') ?? fields.get('cacheControl'),
          metadata: Object.keys(extra).length > 0 || metadata ? { ...metadata, ...extra } : undefined,
          upsert: parseUpsert(fields.get('upsert') ?? fields.get('x-upsert') ?? header(headers, 'x-upsert'), 'upsert'),
          fileName: info.filename || undefined,
          fields: new Map(fields),
        };
      } catch (err) {
        stream.resume();
        fail(err);
        return;
      }
      // Parts arrive in order; each is handled while busboy waits on its stream's backpressure.
      chain = chain.then(() => onFile(source)).catch((err: unknown) => {
        stream.resume();
        fail(err);
      });
    });
    bb.on('filesLimit', () => fail(new AppError('VALIDATION_FAILED', { message: `At most ${maxFiles} files per request` })));
    bb.on('error', (err: Error) => fail(new AppError('VALIDATION_FAILED', { message: `The multipart body is malformed: ${err.message}` })));
    bb.on('close', () => {
      void chain.then(() => {
        if (failed) return;
        if (files === 0) fail(invalidField(fileFields[0]!, `is required: send the file as a multipart part named "${fileFields[0]}"`));
        else resolve({ files });
      });
    });
    body.on('error', (err) => fail(err));
    body.pipe(bb);
  });
}
