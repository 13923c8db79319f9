// How an upload is put on the wire (API.md §10). A Blob, buffer or string goes as a
// multipart form (fields `content_type`, `cache_control`, `metadata`, `upsert` before the
// `file` part, as the server wants them) to POST or PUT /:bucket/<path>; a ReadableStream,
// which a form cannot hold, goes raw to POST /:bucket/stream/<path> with X-Storage-* headers
// (`update` then asks for the upsert). A signed upload URL takes the raw bytes only.
import type { HttpMethod } from '../transport.ts';
import { isStream, type RawBody } from './storage-request.ts';
import { objectPath } from './storage-urls.ts';
import type { StorageBody, UploadOptions } from './types.ts';

const TEXT_PLAIN = 'text/plain;charset=UTF-8';

export interface UploadRequest {
  method: HttpMethod;
  /** Path below the base URL. */
  path: string;
  headers: Record<string, string>;
  body: RawBody;
}

/** The body as a Blob: a string is UTF-8 text; a Blob keeps its type. */
export function toBlob(body: Exclude<StorageBody, ReadableStream>): Blob {
  if (typeof Blob !== 'undefined' && body instanceof Blob) return body;
  if (typeof body === 'string') return new Blob([body], { type: TEXT_PLAIN });
  if (body instanceof ArrayBuffer) return new Blob([body]);
  if (ArrayBuffer.isView(body)) return new Blob([new Uint8Array(body.buffer, body.byteOffset, body.byteLength).slice()]);
  throw new TypeError('storage upload: the body must be a Blob, ArrayBuffer, typed array, string or ReadableStream');
}

/** `update: true` replaces (PUT); otherwise `options.upsert` decides. */
export function uploadRequest(bucket: string, path: string, body: StorageBody, options: UploadOptions, update: boolean): UploadRequest {
  const upsert = update || options.upsert === true;
  if (isStream(body)) {
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', 'X-Storage-Upsert': String(upsert) };
    if (options.contentType !== undefined) headers['X-Storage-Content-Type'] = options.contentType;
    if (options.cacheControl !== undefined) headers['X-Storage-Cache-Control'] = options.cacheControl;
    if (options.metadata !== undefined) headers['X-Storage-Metadata'] = JSON.stringify(options.metadata);
    return { method: 'POST', path: objectPath(bucket, path, 'stream'), headers, body };
  }
  const form = new FormData();
  if (options.contentType !== undefined) form.append('content_type', options.contentType);
  if (options.cacheControl !== undefined) form.append('cache_control', options.cacheControl);
  if (options.metadata !== undefined) form.append('metadata', JSON.stringify(options.metadata));
  form.append('upsert', String(upsert));
  // A part without a type is sent as application/octet-stream: the server then guesses from this name.
  form.append('file', toBlob(body), path.split('/').pop() || 'file');
  // fetch sets the multipart Content-Type with its boundary.
  return { method: update ? 'PUT' : 'POST', path: objectPath(bucket, path), headers: {}, body: form };
}

/** The raw body and headers of a PUT to a signed upload URL. */
export function signedUploadBody(body: StorageBody, contentType: string | undefined, cacheControl: string | undefined): { headers: Record<string, string>; body: RawBody } {
  const raw: RawBody = isStream(body) ? body : toBlob(body);
  const type = contentType ?? (raw instanceof Blob && raw.type !== '' ? raw.type : undefined);
  const headers: Record<string, string> = {};
  // Without a type the server guesses from the object's name.
  if (type !== undefined) headers['Content-Type'] = type;
  if (cacheControl !== undefined) headers['Cache-Control'] = cacheControl;
  return { headers, body: raw };
}
