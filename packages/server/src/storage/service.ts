// The storage product (API.md §10; docs/storage.md, to come): buckets, uploads, downloads,
// listing, move, copy and signed URLs, each metadata step in the caller's transaction (RLS
// decides), bytes in the backend under the object's `version` (object-store.ts "Check before
// bytes": a write is checked, streamed under a fresh version, committed, and only then are the
// old bytes deleted; a refused or failed write never touches what readers are served).
import type { Readable } from 'node:stream';
import { withRequestTx, type Database, type RequestContext } from '../db/index.ts';
import { AppError, errors, invalidField } from '../http/index.ts';
import {
  BackendUnavailableError, ObjectNotFoundError, RangeNotSatisfiableError, StorageBackendError, TooLargeError, type ByteRange, type StorageBackend,
} from './backends/index.ts';
import { createBucket, deleteBucket, getBucket, listBuckets, updateBucket, type BucketFields, type BucketRow } from './bucket-store.ts';
import {
  checkWrite, copyObject, deleteObject, findObject, insertObject, listObjects, moveObject, type ListOptions, type ObjectRow, type Queryable,
} from './object-store.ts';
import { signGrant, verifyGrant, type SignedGrant, type SignedMethod } from './signed-token.ts';
import type { TransformSpec } from './transform-params.ts';
import type { UploadSource } from './upload-body.ts';
import { bucketNotFound, checkMime, fileLimit, fileTooLarge, objectNotFound, validBucket, validObject, writeRefused } from './upload-rules.ts';

export interface StorageServiceDeps {
  db: Database;
  backend: StorageBackend;
  /** storage.max_file_size: no object is larger, whatever its bucket says. */
  maxFileSize: number;
  /** Keys the signed-URL grants (a purpose key is derived from it: signed-token.ts). */
  signingSecret: string;
  /** server.public_url, for signed URLs. */
  publicUrl: string;
  now?: () => number;
  /** Counts bytes and upload outcomes (metrics.ts). */
  onUpload?: (outcome: 'stored' | 'refused' | 'failed', bytes: number) => void;
}

/** A caller's transaction context (role and claims: RLS decides). */
export type Caller = RequestContext;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface UploadResult {
  object: ObjectRow;
  created: boolean;
}

export class StorageService {
  private readonly now: () => number;

  constructor(private readonly deps: StorageServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  private tx<T>(caller: Caller, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return withRequestTx(this.deps.db.pool, caller, fn);
  }

  // ---- buckets ----

  listBuckets(caller: Caller): Promise<BucketRow[]> {
    return this.tx(caller, (tx) => listBuckets(tx));
  }

  async getBucket(caller: Caller, name: string): Promise<BucketRow> {
    validBucket(name);
    const b = await this.tx(caller, (tx) => getBucket(tx, name));
    if (!b) throw bucketNotFound(name);
    return b;
  }

  /** Admin only (the route checks): runs as the service role. */
  async createBucket(admin: Caller, name: string, f: BucketFields): Promise<BucketRow> {
    validBucket(name);
    const r = await this.tx(admin, (tx) => createBucket(tx, name, f));
    if (r.status === 'exists') throw new AppError('ALREADY_EXISTS', { message: `Bucket "${name}" already exists`, details: { resource: 'bucket', name } });
    return r.bucket;
  }

  async updateBucket(admin: Caller, name: string, f: BucketFields): Promise<BucketRow> {
    validBucket(name);
    const b = await this.tx(admin, (tx) => updateBucket(tx, name, f));
    if (!b) throw bucketNotFound(name);
    return b;
  }

  async deleteBucket(admin: Caller, name: string): Promise<void> {
    validBucket(name);
    const r = await this.tx(admin, (tx) => deleteBucket(tx, name));
    if (r === 'not_found') throw bucketNotFound(name);
    if (r === 'not_empty') throw new AppError('BUCKET_NOT_EMPTY', { message: `Bucket "${name}" still holds objects; delete them first`, details: { name } });
  }

  // ---- objects ----

  /**
   * Stores `source` as bucket/name. Checked first (RLS, an existing name without upsert, the
   * bucket's MIME types and size limit), then streamed under a fresh version, then committed
   * (RLS checked again), then the replaced bytes are deleted.
   */
  async upload(caller: Caller, bucketName: string, name: string, source: UploadSource, options: { upsert: boolean; declaredSize?: number | undefined; ownerId?: string | null; requestLimit?: number }): Promise<UploadResult> {
    try {
      const r = await this.store(caller, bucketName, name, source, options);
      this.deps.onUpload?.('stored', r.object.size);
      return r;
    } catch (err) {
      this.deps.onUpload?.(err instanceof AppError && err.status < 500 ? 'refused' : 'failed', 0);
      throw err;
    }
  }

  private async store(caller: Caller, bucketName: string, name: string, source: UploadSource, options: { upsert: boolean; declaredSize?: number | undefined; ownerId?: string | null; requestLimit?: number }): Promise<UploadResult> {
    validBucket(bucketName);
    validObject(name);
    const upsert = source.upsert ?? options.upsert;
    const probe = {
      bucket_id: bucketName, name, mime_type: source.contentType, size: options.declaredSize ?? 0, etag: null, cache_control: source.cacheControl ?? null,
      metadata: source.metadata, ...(options.ownerId !== undefined ? { owner_id: options.ownerId } : {}),
    };
    const bucket = await this.tx(caller, async (tx) => {
      const b = await getBucket(tx, bucketName);
      if (!b) throw bucketNotFound(bucketName);
      checkMime(b, source.contentType);
      const limit = Math.min(fileLimit(b, this.deps.maxFileSize), options.requestLimit ?? Infinity);
      if (options.declaredSize !== undefined && options.declaredSize > limit) throw fileTooLarge(limit);
      const check = await checkWrite(tx, probe, { upsert });
      if (!check.ok) throw writeRefused(check.reason, bucketName, name);
      return b;
    });
    const version = crypto.randomUUID();
    const limit = Math.min(fileLimit(bucket, this.deps.maxFileSize), options.requestLimit ?? Infinity);
    const stored = await this.deps.backend.put(bucketName, version, source.body, { maxBytes: limit, contentType: source.contentType, ...(source.cacheControl ? { cacheControl: source.cacheControl } : {}) })
      .catch((err: unknown) => { throw mapBackendError(err, limit); });
    let result;
    try {
      result = await this.tx(caller, async (tx) => {
        const r = await insertObject(tx, { ...probe, size: stored.size, etag: stored.etag, version }, { upsert });
        if (r.status === 'exists') throw writeRefused('exists', bucketName, name);
        return r;
      });
    } catch (err) {
      await this.deps.backend.delete(bucketName, version).catch(() => {});
      throw rlsRefusal(err, bucketName, name);
    }
    if (result.previous) await this.deps.backend.delete(bucketName, result.previous.version).catch(() => {});
    return { object: result.object, created: result.status === 'created' };
  }

  /** The object's row if the caller may read it (404 otherwise, as for a missing one). */
  async find(caller: Caller, bucketName: string, name: string): Promise<ObjectRow> {
    validBucket(bucketName);
    validObject(name);
    const row = await this.tx(caller, (tx) => findObject(tx, bucketName, name));
    if (!row) throw objectNotFound(bucketName, name);
    return row;
  }

  /** Opens the object's bytes (a range, or all). */
  async open(row: ObjectRow, range?: ByteRange): Promise<{ body: Readable; size: number }> {
    try {
      const got = await this.deps.backend.get(row.bucket_id, row.version, range);
      return { body: got.body, size: got.size };
    } catch (err) {
      throw mapBackendError(err, 0, row);
    }
  }

  async remove(caller: Caller, bucketName: string, name: string): Promise<void> {
    validBucket(bucketName);
    validObject(name);
    const row = await this.tx(caller, (tx) => deleteObject(tx, bucketName, name));
    if (!row) throw objectNotFound(bucketName, name);
    await this.deps.backend.delete(bucketName, row.version).catch(() => {});
  }

  async list(caller: Caller, bucketName: string, options: ListOptions) {
    validBucket(bucketName);
    return this.tx(caller, async (tx) => {
      if (!(await getBucket(tx, bucketName))) throw bucketNotFound(bucketName);
      return listObjects(tx, bucketName, options);
    });
  }

  async move(caller: Caller, bucketName: string, from: string, to: string): Promise<ObjectRow> {
    validBucket(bucketName);
    validObject(from, 'from_path');
    validObject(to, 'to_path');
    // Bytes are keyed by version, not name: a move is a metadata change only.
    const r = await this.tx(caller, (tx) => moveObject(tx, bucketName, from, to));
    if (r.status === 'moved') return r.object;
    if (r.status === 'not_found') throw objectNotFound(bucketName, from);
    throw writeRefused(r.status, bucketName, to);
  }

  async copy(caller: Caller, bucketName: string, from: string, to: string): Promise<ObjectRow> {
    validBucket(bucketName);
    validObject(from, 'from_path');
    validObject(to, 'to_path');
    const version = crypto.randomUUID();
    const dry = await this.tx(caller, (tx) => copyObject(tx, bucketName, from, to, { dryRun: true, version }));
    if (dry.status === 'not_found') throw objectNotFound(bucketName, from);
    if (dry.status !== 'copied') throw writeRefused(dry.status, bucketName, to);
    await this.deps.backend.copy({ bucket: bucketName, key: dry.source.version }, { bucket: bucketName, key: version }).catch((err: unknown) => { throw mapBackendError(err, 0); });
    try {
      const r = await this.tx(caller, (tx) => copyObject(tx, bucketName, from, to, { version }));
      if (r.status === 'copied') return r.object;
      throw r.status === 'not_found' ? objectNotFound(bucketName, from) : writeRefused(r.status, bucketName, to);
    } catch (err) {
      await this.deps.backend.delete(bucketName, version).catch(() => {});
      throw err;
    }
  }

  // ---- signed URLs ----

  /** A signed URL for GET (the caller must be able to read the object) or PUT (to write it). */
  async sign(caller: Caller, bucketName: string, name: string, method: SignedMethod, expiresIn: number, transform: TransformSpec | undefined) {
    validBucket(bucketName);
    validObject(name);
    await this.tx(caller, async (tx) => {
      if (method === 'GET') {
        if (!(await findObject(tx, bucketName, name))) throw objectNotFound(bucketName, name);
        return;
      }
      const check = await checkWrite(tx, { bucket_id: bucketName, name, mime_type: null, size: 0, etag: null }, { upsert: true });
      if (!check.ok) throw writeRefused(check.reason === 'exists' ? 'denied' : check.reason, bucketName, name);
    });
    // A user's upload URL stores objects as theirs (Supabase's signed upload URLs do the same),
    // so the default owner policies let them read and delete what was uploaded with it.
    // (owner_id is a uuid, as auth.uid(): a token whose sub is not one signs without owner.)
    const owner = method === 'PUT' && UUID.test(caller.sub) ? caller.sub : undefined;
    const { token, grant } = signGrant({ bucket: bucketName, key: name, method, transform, expiresIn, owner }, this.deps.signingSecret, this.now());
    const url = `${this.deps.publicUrl.replace(/\/$/, '')}/api/v1/storage/object?token=${token}`;
    return { signed_url: url, expires_in: expiresIn, expires_at: new Date(grant.exp * 1000).toISOString(), method, token, grant };
  }

  /** The grant of a signed-URL token; 401 INVALID_SIGNED_URL when forged, tampered or expired, 405 for the wrong method. */
  grantOf(token: unknown, method: string): SignedGrant {
    const v = verifyGrant(token, this.deps.signingSecret, this.now());
    if (!v.ok) {
      const why = v.reason === 'expired' ? 'has expired; ask for a new one' : 'is not valid (altered, truncated or signed by another server)';
      throw new AppError('INVALID_SIGNED_URL', { message: `This signed URL ${why}`, details: { reason: v.reason } });
    }
    const asked = method === 'HEAD' ? 'GET' : method === 'POST' ? 'PUT' : method;
    if (asked !== v.grant.method) throw errors.methodNotAllowed(method, v.grant.method === 'GET' ? ['GET', 'HEAD'] : ['PUT', 'POST']);
    return v.grant;
  }
}

// ---- errors ----

function rlsRefusal(err: unknown, bucket: string, name: string): unknown {
  const code = (err as { code?: string } | null)?.code;
  if (code === '42501') return writeRefused('denied', bucket, name);
  if (code === '23503') return bucketNotFound(bucket);
  return err;
}

function mapBackendError(err: unknown, limit: number, row?: ObjectRow): unknown {
  if (err instanceof TooLargeError) return fileTooLarge(limit);
  if (err instanceof ObjectNotFoundError) {
    return row ? errors.serviceUnavailable(`The bytes of "${row.name}" are missing from the storage backend; an operator should check it`, 5) : errors.notFound('object');
  }
  if (err instanceof RangeNotSatisfiableError) return new AppError('RANGE_NOT_SATISFIABLE', { message: 'The range starts past the end of the object', headers: { 'Content-Range': `bytes */${err.size}` } });
  if (err instanceof BackendUnavailableError) return errors.serviceUnavailable('The storage backend is unavailable; retry in a moment', 5);
  if (err instanceof StorageBackendError) return invalidField('path', err.message);
  return err;
}
