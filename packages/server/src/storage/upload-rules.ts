// The refusals an upload meets before any byte is stored (API.md §10), shared by the paths
// that decide them ahead of the bytes: StorageService.upload and the resumable init
// (chunked-service.ts), so both answer with the same codes and messages. Pure functions
// of a bucket row and the request; the RLS part is object-store.ts checkWrite.
import { AppError, errors, invalidField } from '../http/index.ts';
import type { BucketRow } from './bucket-store.ts';
import { checkBucketName, checkObjectName } from './name-rules.ts';

export function validBucket(name: string): void {
  const c = checkBucketName(name);
  if (!c.ok) throw invalidField('bucket', c.message);
}

export function validObject(name: string, field = 'path'): void {
  const c = checkObjectName(name);
  if (!c.ok) throw invalidField(field, c.message);
}

export function bucketNotFound(name: string): AppError {
  return errors.notFound('bucket', `Bucket "${name}" not found`);
}

export function objectNotFound(bucket: string, name: string): AppError {
  return errors.notFound('object', `Object "${name}" not found in bucket "${bucket}"`);
}

/** The largest object the bucket takes: its max_file_size, never above storage.max_file_size. */
export function fileLimit(b: BucketRow, serverMax: number): number {
  return b.max_file_size !== null ? Math.min(Number(b.max_file_size), serverMax) : serverMax;
}

export function fileTooLarge(limit: number): AppError {
  return new AppError('FILE_TOO_LARGE', { message: `The file is larger than this bucket allows (${limit} bytes)`, details: { max_file_size: limit } });
}

/** 415 unless the bucket accepts `type` (exact, `type/*` or `*` + `/*`; no list: anything). */
export function checkMime(b: BucketRow, type: string): void {
  const allowed = b.allowed_mime_types;
  if (!allowed || allowed.length === 0) return;
  const base = type.split(';')[0]!.trim().toLowerCase();
  const ok = allowed.some((a) => {
    const x = a.toLowerCase();
    return x === '*/*' || x === base || (x.endsWith('/*') && base.startsWith(x.slice(0, -1)));
  });
  if (!ok) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', {
      message: `Bucket "${b.name}" does not accept ${base}; allowed: ${allowed.join(', ')}`, details: { content_type: base, allowed_mime_types: allowed },
    });
  }
}

export function writeRefused(reason: 'exists' | 'denied' | 'bucket_not_found' | 'not_found', bucket: string, name: string): AppError {
  if (reason === 'exists') {
    return new AppError('ALREADY_EXISTS', { message: `Object "${name}" already exists in bucket "${bucket}"`, hint: 'Send upsert=true (or x-upsert: true, or PUT) to replace it', details: { resource: 'object', bucket, path: name } });
  }
  if (reason === 'bucket_not_found') return bucketNotFound(bucket);
  if (reason === 'not_found') return objectNotFound(bucket, name);
  return new AppError('INSUFFICIENT_PERMISSIONS', { message: `You may not write "${name}" in bucket "${bucket}" (row level security)`, details: { bucket, path: name } });
}
