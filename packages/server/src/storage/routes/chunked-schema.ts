// Shared by the resumable upload routes (chunked-*.ts; API.md §10, upstream's shapes): their
// dependencies, the `:id` param and the session's JSON view.
import type { FastifyRequest } from 'fastify';
import type { ChunkedUploads } from '../chunked-service.ts';
import { missingChunks, type UploadSessionRow } from '../session-store.ts';
import type { StorageRouteDeps } from './schema.ts';

export interface ChunkedRouteDeps extends StorageRouteDeps {
  chunked: ChunkedUploads;
}

export function sessionIdParam(request: FastifyRequest): string {
  return (request.params as { id?: string }).id ?? '';
}

/** Upstream's session object, plus `received_chunks` (= `completed_chunks`) and `missing`. */
export function sessionView(s: UploadSessionRow, expired: boolean) {
  return {
    session_id: s.id, bucket: s.bucket_id, path: s.name, total_size: s.total_size, chunk_size: s.chunk_size, total_chunks: s.total_chunks,
    completed_chunks: s.received_chunks, received_chunks: s.received_chunks, missing: missingChunks(s),
    status: expired ? 'expired' : s.status, content_type: s.content_type, expires_at: s.expires_at, created_at: s.created_at,
  };
}
