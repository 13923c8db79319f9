// Resumable (chunked) uploads (API.md §10, upstream's shapes): init checks everything an
// upload is checked for (bucket, size limit, MIME type, RLS write with checkWrite) before it
// accepts a session; chunks are staged in the backend under bucket `__chunks`, key
// `<session>/<index>` (no user bucket can be named so), each of exactly `chunk_size` bytes
// but the last; complete streams the staged chunks, in order, into StorageService.upload as
// one body (so the object is written exactly as any upload is: checked again, new version,
// committed), then removes the chunks and the session. Sessions are their creator's (RLS on
// storage.upload_sessions); expired ones are swept with their chunks (sweepExpiredSessions).
import { Readable } from 'node:stream';
import { withRequestTx, type Database, type RequestContext } from '../db/index.ts';
import { AppError, errors, invalidField } from '../http/index.ts';
import { ObjectNotFoundError, TooLargeError, type StorageBackend } from './backends/index.ts';
import { getBucket } from './bucket-store.ts';
import { checkWrite, type Queryable } from './object-store.ts';
import type { Caller, StorageService, UploadResult } from './service.ts';
import {
  createSession, deleteExpiredSessions, deleteSession, getSession, missingChunks, orphanSessionIds, recordChunk, transitionSession,
  type UploadSessionRow,
} from './session-store.ts';
import { guessType } from './upload-body.ts';
import { bucketNotFound, checkMime, fileLimit, fileTooLarge, validBucket, validObject, writeRefused } from './upload-rules.ts';

/** The backend bucket staging chunks (not a valid bucket name, so never a user's). */
export const CHUNK_BUCKET = '__chunks';
/** Upstream's minimum and default chunk size: smaller sizes are raised to it. */
export const MIN_CHUNK_SIZE = 5 * 1024 * 1024;

const SESSION_ID = /^[0-9a-f]{32}$/;
const SWEEP_BATCH = 100;
const SERVICE: RequestContext = { role: 'service_role', claims: { role: 'service_role' }, sub: '', method: 'SWEEP', path: 'storage-chunked-sweep', requestId: 'storage-chunked-sweep' };

export interface ChunkedUploadDeps {
  db: Database;
  backend: StorageBackend;
  service: StorageService;
  /** storage.max_file_size. */
  maxFileSize: number;
  /** Smallest chunk size accepted (default MIN_CHUNK_SIZE); smaller requests are raised to it. */
  minChunkSize?: number;
  /** Staged chunks with no session, older than this, are deleted by the sweep (default 1 h). */
  orphanGraceMs?: number;
  now?: () => number;
}

export interface InitInput {
  path: string;
  total_size: number;
  chunk_size?: number | undefined;
  content_type?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  cache_control?: string | undefined;
  upsert?: boolean | undefined;
}

export const chunkKey = (sessionId: string, index: number): string => `${sessionId}/${index}`;

/** Bytes chunk `index` must have: chunk_size, except the last. */
export function chunkLength(s: Pick<UploadSessionRow, 'total_size' | 'chunk_size' | 'total_chunks'>, index: number): number {
  return index === s.total_chunks - 1 ? s.total_size - s.chunk_size * (s.total_chunks - 1) : s.chunk_size;
}

export class ChunkedUploads {
  private readonly now: () => number;
  private readonly minChunk: number;

  constructor(private readonly deps: ChunkedUploadDeps) {
    this.now = deps.now ?? Date.now;
    this.minChunk = deps.minChunkSize ?? MIN_CHUNK_SIZE;
  }

  private tx<T>(caller: Caller, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return withRequestTx(this.deps.db.pool, caller, fn);
  }

  /**
   * Opens a session for `bucket/path` once the upload it announces would be accepted now:
   * bucket, size limit, MIME type and RLS (the same savepointed dry run an upload makes).
   * `maxChunkSize` is the per-request body limit, which a chunk must fit in.
   */
  async init(caller: Caller, bucket: string, input: InitInput, maxChunkSize: number): Promise<UploadSessionRow> {
    validBucket(bucket);
    validObject(input.path);
    const chunkSize = Math.max(input.chunk_size ?? this.minChunk, this.minChunk);
    if (chunkSize > maxChunkSize) throw invalidField('chunk_size', `must be at most ${maxChunkSize} bytes (the request body limit)`);
    const contentType = input.content_type ?? guessType(input.path);
    const upsert = input.upsert ?? false;
    return this.tx(caller, async (tx) => {
      const b = await getBucket(tx, bucket);
      if (!b) throw bucketNotFound(bucket);
      checkMime(b, contentType);
      const limit = fileLimit(b, this.deps.maxFileSize);
      if (input.total_size > limit) throw fileTooLarge(limit);
      const check = await checkWrite(tx, {
        bucket_id: bucket, name: input.path, mime_type: contentType, size: input.total_size, etag: null,
        cache_control: input.cache_control ?? null, metadata: input.metadata,
      }, { upsert });
      if (!check.ok) throw writeRefused(check.reason, bucket, input.path);
      return createSession(tx, {
        bucket_id: bucket, name: input.path, total_size: input.total_size, chunk_size: chunkSize, content_type: contentType,
        metadata: input.metadata, cache_control: input.cache_control, upsert,
      });
    });
  }

  /** The caller's live session in `bucket` (404 when absent, another's, or expired; 409 when not active). */
  private async active(tx: Queryable, bucket: string, id: string): Promise<UploadSessionRow> {
    const s = await this.visible(tx, bucket, id);
    if (this.expired(s)) throw sessionExpired(s);
    if (s.status !== 'active') throw new AppError('CONFLICT', { message: `Upload session ${id} is ${s.status}`, details: { session_id: id, status: s.status } });
    return s;
  }

  private async visible(tx: Queryable, bucket: string, id: string): Promise<UploadSessionRow> {
    if (!SESSION_ID.test(id)) throw new AppError('INVALID_ID', { message: 'An upload session id is 32 lowercase hex characters', details: { session_id: id } });
    const s = await getSession(tx, id);
    if (!s || s.bucket_id !== bucket) throw errors.notFound('upload_session', `Upload session ${id} not found in bucket "${bucket}"`);
    return s;
  }

  expired(s: UploadSessionRow): boolean {
    return s.expires_at.getTime() <= this.now();
  }

  /**
   * Stages chunk `index` (sent again: replaced). Its size must be exact: `declaredSize`
   * (Content-Length) is checked before reading, the bytes read while storing.
   */
  async putChunk(caller: Caller, bucket: string, id: string, index: number, body: Readable, declaredSize: number | undefined): Promise<{ session: UploadSessionRow; size: number; etag: string }> {
    const s = await this.tx(caller, (tx) => this.active(tx, bucket, id));
    if (!Number.isInteger(index) || index < 0 || index >= s.total_chunks) {
      throw invalidField('chunk_index', `must be an integer from 0 to ${s.total_chunks - 1}`);
    }
    const expected = chunkLength(s, index);
    const wrongSize = (got: string) => new AppError('VALIDATION_FAILED', {
      message: `Chunk ${index} must be exactly ${expected} bytes; got ${got}`, details: { chunk_index: index, expected_size: expected, fields: { body: `must be ${expected} bytes` } },
    });
    if (declaredSize !== undefined && declaredSize !== expected) throw wrongSize(`Content-Length ${declaredSize}`);
    const key = chunkKey(id, index);
    let stored;
    try {
      stored = await this.deps.backend.put(CHUNK_BUCKET, key, body, { maxBytes: expected });
    } catch (err) {
      if (err instanceof TooLargeError) throw wrongSize('more');
      throw err;
    }
    if (stored.size !== expected) {
      await this.deps.backend.delete(CHUNK_BUCKET, key).catch(() => {});
      throw wrongSize(String(stored.size));
    }
    const recorded = await this.tx(caller, (tx) => recordChunk(tx, id, index, { size: stored.size, etag: stored.etag }));
    if (!recorded) {
      // Aborted, expired, swept or completing meanwhile; a chunk of a session that is gone would never be collected.
      const now = await this.tx(caller, (tx) => getSession(tx, id));
      if (!now) {
        await this.deps.backend.delete(CHUNK_BUCKET, key).catch(() => {});
        throw errors.notFound('upload_session', `Upload session ${id} was removed while chunk ${index} was stored`);
      }
      if (this.expired(now)) throw sessionExpired(now);
      throw new AppError('CONFLICT', { message: `Upload session ${id} is ${now.status}`, details: { session_id: id, status: now.status } });
    }
    return { session: recorded, size: stored.size, etag: stored.etag };
  }

  async status(caller: Caller, bucket: string, id: string): Promise<UploadSessionRow> {
    return this.tx(caller, (tx) => this.visible(tx, bucket, id));
  }

  /**
   * Stores the object from the staged chunks (409 listing the missing ones first), then
   * removes the chunks and the session. While it runs the session is `completing`, so a
   * second complete or a late chunk is refused; a failed upload makes it active again.
   */
  async complete(caller: Caller, bucket: string, id: string): Promise<UploadResult> {
    const s = await this.tx(caller, async (tx) => {
      const live = await this.active(tx, bucket, id);
      const missing = missingChunks(live);
      if (missing.length > 0) {
        throw new AppError('CONFLICT', {
          message: `Not every chunk has been uploaded: missing ${missing.join(', ')}`,
          details: { session_id: id, missing_chunks: missing, uploaded: live.received_chunks.length, total: live.total_chunks },
        });
      }
      const moved = await transitionSession(tx, id, 'active', 'completing');
      if (!moved) throw new AppError('CONFLICT', { message: `Upload session ${id} is already completing` });
      return moved;
    });
    const body = this.concat(s);
    let result: UploadResult;
    try {
      result = await this.deps.service.upload(caller, bucket, s.name, {
        body, contentType: s.content_type ?? guessType(s.name), cacheControl: s.cache_control ?? undefined,
        metadata: Object.keys(s.metadata).length > 0 ? s.metadata : undefined, upsert: s.upsert, fileName: undefined,
      }, { upsert: s.upsert, declaredSize: s.total_size });
    } catch (err) {
      body.destroy();
      await this.tx(caller, (tx) => transitionSession(tx, id, 'completing', 'active')).catch(() => {});
      throw err;
    }
    // The object is committed: a failed cleanup is left to the sweep, not reported as a failed upload.
    await this.tx(caller, (tx) => deleteSession(tx, id)).then(() => this.dropChunks(s), () => {});
    return result;
  }

  /** Abort: the session and its staged chunks go. */
  async abort(caller: Caller, bucket: string, id: string): Promise<void> {
    const s = await this.tx(caller, async (tx) => {
      await this.visible(tx, bucket, id);
      return deleteSession(tx, id);
    });
    if (s) await this.dropChunks(s);
  }

  /**
   * Deletes expired sessions and their staged chunks, then staged chunks whose session is
   * gone (a crash between the row's delete and the bytes'); returns the sessions removed.
   */
  async sweepExpiredSessions(): Promise<number> {
    let removed = 0;
    for (;;) {
      const batch = await withRequestTx(this.deps.db.pool, SERVICE, (tx) => deleteExpiredSessions(tx, SWEEP_BATCH));
      for (const s of batch) await this.dropChunks(s);
      removed += batch.length;
      if (batch.length < SWEEP_BATCH) break;
    }
    await this.sweepOrphanChunks();
    return removed;
  }

  private async sweepOrphanChunks(): Promise<void> {
    const cutoff = this.now() - (this.deps.orphanGraceMs ?? 3_600_000);
    const keys = new Map<string, string[]>();
    for await (const o of this.deps.backend.list(CHUNK_BUCKET)) {
      const id = o.key.split('/')[0]!;
      if (o.lastModified.getTime() > cutoff || !SESSION_ID.test(id)) continue;
      keys.set(id, [...(keys.get(id) ?? []), o.key]);
    }
    if (keys.size === 0) return;
    const lost = await withRequestTx(this.deps.db.pool, SERVICE, (tx) => orphanSessionIds(tx, [...keys.keys()]));
    for (const id of lost) for (const key of keys.get(id) ?? []) await this.deps.backend.delete(CHUNK_BUCKET, key).catch(() => {});
  }

  private async dropChunks(s: UploadSessionRow): Promise<void> {
    // Every index, not only the recorded ones: a chunk stored but not yet recorded counts too.
    for (let i = 0; i < s.total_chunks; i++) await this.deps.backend.delete(CHUNK_BUCKET, chunkKey(s.id, i)).catch(() => {});
  }

  /** The staged chunks, in order, as one stream (each opened when the previous one ends). */
  private concat(s: UploadSessionRow): Readable {
    const backend = this.deps.backend;
    return Readable.from((async function* () {
      for (let i = 0; i < s.total_chunks; i++) {
        let got;
        try {
          got = await backend.get(CHUNK_BUCKET, chunkKey(s.id, i));
        } catch (err) {
          if (err instanceof ObjectNotFoundError) {
            throw new AppError('CONFLICT', { message: `Chunk ${i} of upload session ${s.id} is no longer stored; send it again`, details: { session_id: s.id, missing_chunks: [i] } });
          }
          throw err;
        }
        for await (const c of got.body) yield c as Buffer;
      }
    })(), { objectMode: false });
  }
}

function sessionExpired(s: UploadSessionRow): AppError {
  return errors.notFound('upload_session', `Upload session ${s.id} expired at ${s.expires_at.toISOString()}; start a new one`);
}
