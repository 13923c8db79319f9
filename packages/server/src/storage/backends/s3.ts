// Object bytes in an S3-compatible service.
//
// One S3 bucket (config `storage.s3.bucket`) holds every Fluxbase bucket, the object of
// (bucket, key) under the S3 key `<bucket>/<key>`: operators create and grant one bucket,
// and Fluxbase buckets stay cheap rows. Uploads stream through a counting Transform into
// lib-storage's Upload (one PutObject below `partSize`, multipart above), so at most about
// `queueSize` parts are in memory; a failed or refused upload aborts the multipart upload,
// and S3 only shows the new object on CompleteMultipartUpload, so nothing partial replaces
// an old object. (Parts of an upload whose abort could not be sent, the server being down,
// are S3's to expire: set an AbortIncompleteMultipartUpload lifecycle rule.)
import {
  CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import {
  BackendUnavailableError, checkObjectRef, mapStreamErrors, ObjectNotFoundError, RangeNotSatisfiableError, StorageBackendError, TooLargeError,
  type ByteRange, type GetResult, type ObjectRef, type ObjectStat, type PutOptions, type PutResult, type StorageBackend, type StoredObject,
} from './types.ts';

export interface S3BackendOptions {
  /** Endpoint URL; empty for AWS itself (config `storage.s3.endpoint`, default ''). */
  endpoint: string;
  /** Config `storage.s3.region`, default `us-east-1`. */
  region: string;
  /** Empty: the SDK's default credential chain (config `storage.s3.access_key_id`, default ''). */
  accessKeyId: string;
  secretAccessKey: string;
  /** Config `storage.s3.force_path_style`, default true (MinIO, s3rver and most self-hosted services need it). */
  forcePathStyle: boolean;
  /** The one S3 bucket holding every Fluxbase bucket (config `storage.s3.bucket`, default `fluxbase`). */
  bucket: string;
  /** Bytes per multipart part and the single-PUT threshold; default 8 MiB (S3's minimum is 5 MiB). */
  partSize?: number;
  /** Parts uploaded at once per upload, each held in memory; default 1. */
  queueSize?: number;
  /** Attempts per S3 request (the SDK retries network errors and 5xx); default 3. */
  maxAttempts?: number;
  /** Milliseconds to open a connection; default 5000. */
  connectionTimeoutMs?: number;
  /** Milliseconds a socket may stay silent mid-request; default 30000. */
  socketTimeoutMs?: number;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

/** Passes bytes on and fails with TooLargeError once more than `maxBytes` went through. */
class ByteLimit extends Transform {
  bytes = 0;
  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) done(new TooLargeError(this.maxBytes));
    else done(null, chunk);
  }
}

/** The `length` bytes of `src` after the first `skip`; `src` is destroyed once they went through. */
function slice(src: Readable, skip: number, length: number): Readable {
  let toSkip = skip;
  let left = length;
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      let c = chunk;
      if (toSkip > 0) {
        const n = Math.min(toSkip, c.length);
        toSkip -= n;
        c = c.subarray(n);
      }
      if (left <= 0 || c.length === 0) return done();
      const part = c.subarray(0, left);
      left -= part.length;
      this.push(part);
      done();
      if (left === 0) {
        src.unpipe(this);
        src.destroy();
        this.end();
      }
    },
  });
  src.once('error', (err) => out.destroy(err));
  src.pipe(out);
  return out;
}

function stripQuotes(etag: string | undefined): string | undefined {
  return etag?.replace(/"/g, '');
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = (err as Error | undefined)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || (err instanceof S3ServiceException && httpStatus(err) === 404 && name !== 'NoSuchBucket');
}

/**
 * Whatever else S3 answers is the backend failing, not the caller: connection refused or
 * reset, timeouts, 5xx, and also a missing bucket or refused credentials (misconfiguration).
 */
function unavailable(what: string, err: unknown): StorageBackendError {
  if (err instanceof StorageBackendError) return err;
  const e = err as (Error & { code?: string }) | undefined;
  const detail = e?.code ?? e?.name ?? 'error';
  return new BackendUnavailableError(`S3 storage: ${what} failed (${detail})`, { cause: err });
}

export class S3Backend implements StorageBackend {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(opts: S3BackendOptions) {
    this.bucket = opts.bucket;
    this.partSize = opts.partSize ?? DEFAULT_PART_SIZE;
    this.queueSize = opts.queueSize ?? 1;
    this.client = new S3Client({
      endpoint: opts.endpoint || undefined,
      region: opts.region,
      forcePathStyle: opts.forcePathStyle,
      credentials: opts.accessKeyId ? { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey } : undefined,
      // Without these the SDK sends streamed bodies with aws-chunked framing, which
      // S3-compatible servers that do not speak it store verbatim.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: opts.maxAttempts ?? 3,
      requestHandler: { connectionTimeout: opts.connectionTimeoutMs ?? 5_000, requestTimeout: opts.socketTimeoutMs ?? 30_000 },
    });
  }

  private s3Key(bucket: string, key: string): string {
    return `${bucket}/${key}`;
  }

  async put(bucket: string, key: string, body: Readable, opts: PutOptions): Promise<PutResult> {
    checkObjectRef(bucket, key);
    const limit = new ByteLimit(opts.maxBytes);
    let bodyError: unknown;
    const onBodyError = (err: unknown) => {
      bodyError = err;
      limit.destroy(err as Error);
    };
    // A body closed early without an error (a cut connection) must fail the upload too.
    const onBodyClose = () => {
      if (!body.readableEnded && !limit.destroyed) onBodyError(Object.assign(new Error('upload body closed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    };
    body.once('error', onBodyError);
    body.once('close', onBodyClose);
    body.pipe(limit);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.s3Key(bucket, key), Body: limit, ContentType: opts.contentType, CacheControl: opts.cacheControl },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      const out = await upload.done();
      return { size: limit.bytes, etag: stripQuotes(out.ETag) ?? '' };
    } catch (err) {
      if (!limit.destroyed) limit.destroy();
      // The cause, not what the abort that followed said (the abort may fail too).
      if (bodyError !== undefined) throw bodyError;
      if (err instanceof TooLargeError || limit.bytes > opts.maxBytes) throw new TooLargeError(opts.maxBytes);
      throw unavailable('upload', err);
    } finally {
      body.off('error', onBodyError);
      body.off('close', onBodyClose);
      body.unpipe(limit);
    }
  }

  async get(bucket: string, key: string, range?: ByteRange): Promise<GetResult> {
    checkObjectRef(bucket, key);
    if (range && (range.start < 0 || range.start > range.end)) throw new RangeNotSatisfiableError((await this.head(bucket, key)).size);
    let res;
    try {
      res = await this.client.send(new GetObjectCommand({
        Bucket: this.bucket, Key: this.s3Key(bucket, key), Range: range ? `bytes=${range.start}-${range.end}` : undefined,
      }));
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(bucket, key);
      if (httpStatus(err) === 416) throw new RangeNotSatisfiableError((await this.head(bucket, key)).size);
      throw unavailable('download', err);
    }
    let body = res.Body as Readable;
    let size = res.ContentLength ?? 0;
    let served: ByteRange | undefined;
    if (range) {
      // What the server sent: its Content-Range, or everything when it ignored Range.
      const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.ContentRange ?? '');
      const sent = m ? { start: Number(m[1]), end: Number(m[2]) } : { start: 0, end: size - 1 };
      if (m) size = Number(m[3]);
      if (range.start >= size) {
        body.destroy();
        throw new RangeNotSatisfiableError(size);
      }
      served = { start: range.start, end: Math.min(range.end, size - 1) };
      // Some S3-compatible servers answer a wider range (s3rver reads `bytes=0-0` as
      // `bytes=0-`): cut it to what was asked for.
      if (sent.start > served.start || sent.end < served.end) {
        body.destroy();
        throw new BackendUnavailableError(`S3 storage: asked for bytes ${served.start}-${served.end}, got ${sent.start}-${sent.end}`);
      }
      if (sent.start !== served.start || sent.end !== served.end) body = slice(body, served.start - sent.start, served.end - served.start + 1);
    }
    return {
      size,
      etag: stripQuotes(res.ETag),
      lastModified: res.LastModified ?? new Date(0),
      contentType: res.ContentType,
      cacheControl: res.CacheControl,
      body: mapStreamErrors(body, (err) => unavailable('download', err)),
      range: served,
    };
  }

  async head(bucket: string, key: string): Promise<ObjectStat> {
    checkObjectRef(bucket, key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.s3Key(bucket, key) }));
      return {
        size: res.ContentLength ?? 0,
        etag: stripQuotes(res.ETag),
        lastModified: res.LastModified ?? new Date(0),
        contentType: res.ContentType,
        cacheControl: res.CacheControl,
      };
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(bucket, key);
      throw unavailable('head', err);
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    checkObjectRef(bucket, key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.s3Key(bucket, key) }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw unavailable('delete', err);
    }
  }

  /** Server-side CopyObject (S3 limits it to 5 GB, the default `storage.max_file_size`). */
  async copy(from: ObjectRef, to: ObjectRef): Promise<PutResult> {
    checkObjectRef(from.bucket, from.key);
    checkObjectRef(to.bucket, to.key);
    const source = `${this.bucket}/${this.s3Key(from.bucket, from.key)}`.split('/').map(encodeURIComponent).join('/');
    try {
      const res = await this.client.send(new CopyObjectCommand({
        Bucket: this.bucket, Key: this.s3Key(to.bucket, to.key), CopySource: source, MetadataDirective: 'COPY',
      }));
      const stat = await this.head(to.bucket, to.key);
      return { size: stat.size, etag: stripQuotes(res.CopyObjectResult?.ETag) ?? stat.etag ?? '' };
    } catch (err) {
      if (err instanceof StorageBackendError) throw err;
      if (isNotFound(err)) throw new ObjectNotFoundError(from.bucket, from.key);
      throw unavailable('copy', err);
    }
  }

  async *list(bucket?: string): AsyncIterable<StoredObject> {
    if (bucket !== undefined) checkObjectRef(bucket, 'x');
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({
          Bucket: this.bucket, Prefix: bucket === undefined ? undefined : `${bucket}/`, ContinuationToken: token,
        }));
      } catch (err) {
        throw unavailable('list', err);
      }
      for (const obj of page.Contents ?? []) {
        const slash = obj.Key?.indexOf('/') ?? -1;
        if (!obj.Key || slash <= 0) continue; // not written by Fluxbase
        yield { bucket: obj.Key.slice(0, slash), key: obj.Key.slice(slash + 1), size: obj.Size ?? 0, lastModified: obj.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      throw unavailable('ping', err);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
