// The contract between the storage domain and where object bytes live (local disk, S3).
// A backend knows nothing of rows, RLS or HTTP: it stores, streams and forgets bytes under a
// (bucket, key) pair and reports failures as the typed errors below, which the route layer
// maps to the API.md envelope (TooLarge → 413, NotFound → 404, Unavailable → 503).
import { PassThrough, type Readable } from 'node:stream';

export interface PutOptions {
  /** The upload fails with TooLargeError as soon as more than this many bytes were read. */
  maxBytes: number;
  contentType?: string;
  cacheControl?: string;
}

export interface PutResult {
  /** Bytes stored. */
  size: number;
  /** Local: MD5 hex of the bytes. S3: the ETag S3 returned, quotes stripped (`<md5>-<parts>` for multipart). */
  etag: string;
}

/** Byte offsets, both inclusive, as resolved by the route layer (storage/range.ts). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ObjectStat {
  /** Size of the whole object, whatever range was asked for. */
  size: number;
  etag: string | undefined;
  lastModified: Date;
  contentType: string | undefined;
  cacheControl: string | undefined;
}

export interface GetResult extends ObjectStat {
  /** The bytes asked for; errors while streaming are BackendUnavailableError. */
  body: Readable;
  /** The range actually served (end clamped to size - 1), absent for the whole object. */
  range: ByteRange | undefined;
}

export interface StoredObject {
  bucket: string;
  key: string;
  size: number;
  lastModified: Date;
}

export interface ObjectRef {
  bucket: string;
  key: string;
}

export interface StorageBackend {
  readonly kind: 'local' | 's3';
  /**
   * Streams `body` to the backend; the stored object is replaced only once every byte has
   * arrived. On any failure nothing new is left behind and a previous object is intact:
   * TooLargeError past `maxBytes`, BackendUnavailableError when the disk or S3 fails, and
   * the body's own error (a client that went away) rethrown as is. `body` is never
   * destroyed here: after a failure the caller decides whether to drain it or drop the
   * connection.
   */
  put(bucket: string, key: string, body: Readable, opts: PutOptions): Promise<PutResult>;
  /** ObjectNotFoundError when absent; RangeNotSatisfiableError when `range.start` is past the end. */
  get(bucket: string, key: string, range?: ByteRange): Promise<GetResult>;
  /** ObjectNotFoundError when absent. */
  head(bucket: string, key: string): Promise<ObjectStat>;
  /** Idempotent: deleting an absent object succeeds. */
  delete(bucket: string, key: string): Promise<void>;
  /** Replaces `to` atomically like put; ObjectNotFoundError when `from` is absent. */
  copy(from: ObjectRef, to: ObjectRef): Promise<PutResult>;
  /** Every stored object (of one bucket when given), in no particular order, for the orphan sweep. */
  list(bucket?: string): AsyncIterable<StoredObject>;
  /** Resolves when the backend can store bytes right now; BackendUnavailableError otherwise. */
  ping(): Promise<void>;
  /** Releases sockets and handles; the backend is unusable afterwards. */
  close(): Promise<void>;
}

export type StorageBackendErrorCode = 'TOO_LARGE' | 'NOT_FOUND' | 'UNAVAILABLE' | 'INVALID_KEY' | 'RANGE_NOT_SATISFIABLE';

export abstract class StorageBackendError extends Error {
  abstract readonly code: StorageBackendErrorCode;
}

export class TooLargeError extends StorageBackendError {
  readonly code = 'TOO_LARGE';
  constructor(readonly maxBytes: number) {
    super(`the object is larger than ${maxBytes} bytes`);
    this.name = 'TooLargeError';
  }
}

export class ObjectNotFoundError extends StorageBackendError {
  readonly code = 'NOT_FOUND';
  constructor(readonly bucket: string, readonly key: string) {
    super(`object ${bucket}/${key} not found`);
    this.name = 'ObjectNotFoundError';
  }
}

export class BackendUnavailableError extends StorageBackendError {
  readonly code = 'UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackendUnavailableError';
  }
}

export class InvalidKeyError extends StorageBackendError {
  readonly code = 'INVALID_KEY';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidKeyError';
  }
}

export class RangeNotSatisfiableError extends StorageBackendError {
  readonly code = 'RANGE_NOT_SATISFIABLE';
  constructor(readonly size: number) {
    super(`range not satisfiable (object size ${size})`);
    this.name = 'RangeNotSatisfiableError';
  }
}

const MAX_KEY_BYTES = 1024;
const MAX_BUCKET_BYTES = 255;
// C0 controls and DEL: never meaningful in a name, and NUL truncates paths in C APIs.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The names every backend accepts: a bucket is one non-empty segment without `/`; a key is
 * `/`-separated non-empty segments, none of them `.` or `..` (S3 would keep them literally
 * but HTTP paths and file systems would not), without control characters, at most 1024
 * bytes. The local backend does not rely on this for safety (its paths are hashes).
 */
export function checkObjectRef(bucket: string, key: string): void {
  if (bucket === '' || bucket === '.' || bucket === '..' || bucket.includes('/') || CONTROL.test(bucket) || Buffer.byteLength(bucket) > MAX_BUCKET_BYTES) {
    throw new InvalidKeyError(`invalid bucket name ${JSON.stringify(bucket)}`);
  }
  if (key === '' || CONTROL.test(key) || Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new InvalidKeyError(`invalid object key ${JSON.stringify(key)}`);
  }
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') throw new InvalidKeyError(`invalid object key ${JSON.stringify(key)}`);
  }
}

/**
 * `src` re-emitted with its errors turned into `map(err)`; destroying the result destroys
 * `src` (a client that stops downloading releases the file or the S3 socket).
 */
export function mapStreamErrors(src: Readable, map: (err: unknown) => Error): Readable {
  const out = new PassThrough();
  src.once('error', (err) => out.destroy(map(err)));
  // A source closed before its end without an error (a socket cut) must not leave `out` hanging.
  src.once('close', () => {
    if (!src.readableEnded && !out.destroyed) out.destroy(map(Object.assign(new Error('stream closed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })));
  });
  out.once('close', () => {
    if (!src.destroyed) src.destroy();
  });
  src.pipe(out);
  return out;
}
