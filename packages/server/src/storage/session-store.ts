// Resumable upload sessions (storage.upload_sessions; API.md §10 chunked routes). Under the
// caller's request transaction a session is its creator's alone (RLS); anonymous callers
// have no access. The route checks the final write with object-store checkWrite at init,
// stages chunk bytes in the backend under the session id, records each chunk here, and at
// complete inserts the object (RLS again) and deletes the session. Expired sessions are swept
// under a service_role context with their staged bytes.
import type { Queryable } from './bucket-store.ts';

export type SessionStatus = 'active' | 'completing' | 'completed' | 'aborted';

export interface UploadSessionRow {
  id: string;
  bucket_id: string;
  name: string;
  owner_id: string | null;
  total_size: number;
  chunk_size: number;
  total_chunks: number;
  /** Ascending, no duplicates. */
  received_chunks: number[];
  parts: Record<string, unknown>;
  backend_upload_id: string | null;
  content_type: string | null;
  metadata: Record<string, unknown>;
  cache_control: string | null;
  upsert: boolean;
  status: SessionStatus;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

export interface NewSession {
  bucket_id: string;
  name: string;
  total_size: number;
  chunk_size: number;
  content_type?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
  cache_control?: string | null | undefined;
  upsert?: boolean | undefined;
  backend_upload_id?: string | null | undefined;
  /** Default 24 h (the column default). */
  ttlSeconds?: number | undefined;
}

const COLUMNS = `id, bucket_id, name, owner_id, total_size::float8 as total_size, chunk_size, total_chunks, received_chunks, parts,
  backend_upload_id, content_type, metadata, cache_control, upsert, status, expires_at, created_at, updated_at`;

export async function createSession(tx: Queryable, s: NewSession): Promise<UploadSessionRow> {
  const totalChunks = Math.max(1, Math.ceil(s.total_size / s.chunk_size));
  const [row] = await tx.unsafe<UploadSessionRow[]>(
    `insert into storage.upload_sessions (bucket_id, name, total_size, chunk_size, total_chunks, content_type, metadata, cache_control,
       upsert, backend_upload_id, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, now() + make_interval(secs => coalesce($11::float8, 86400)))
     returning ${COLUMNS}`,
    [s.bucket_id, s.name, s.total_size, s.chunk_size, totalChunks, s.content_type ?? null, s.metadata ?? {}, s.cache_control ?? null,
      s.upsert ?? false, s.backend_upload_id ?? null, s.ttlSeconds ?? null] as never[], { prepare: true });
  return row!;
}

/** The caller's session (expired ones too: the route answers 410 for those). */
export async function getSession(tx: Queryable, id: string): Promise<UploadSessionRow | undefined> {
  const [row] = await tx.unsafe<UploadSessionRow[]>(`select ${COLUMNS} from storage.upload_sessions where id = $1`, [id], { prepare: true });
  return row;
}

/** Sets the backend handle once it exists (e.g. after S3 CreateMultipartUpload). */
export async function setBackendUploadId(tx: Queryable, id: string, backendUploadId: string): Promise<boolean> {
  const rows = await tx.unsafe('update storage.upload_sessions set backend_upload_id = $2, updated_at = now() where id = $1', [id, backendUploadId], { prepare: true });
  return rows.count > 0;
}

/**
 * Records a stored chunk of an active, unexpired session (idempotent: a chunk sent again
 * replaces its part data). undefined: no such session for the caller, not active, or expired.
 */
export async function recordChunk(tx: Queryable, id: string, index: number, part: Record<string, unknown> = {}): Promise<UploadSessionRow | undefined> {
  const [row] = await tx.unsafe<UploadSessionRow[]>(
    `update storage.upload_sessions set
       received_chunks = array(select distinct c from unnest(received_chunks || $2::int) as c order by c),
       parts = parts || jsonb_build_object($2::text, $3::jsonb),
       updated_at = now()
     where id = $1 and status = 'active' and expires_at > now() and $2::int >= 0 and $2::int < total_chunks
     returning ${COLUMNS}`,
    [id, index, part] as never[], { prepare: true });
  return row;
}

/** Chunk indexes still missing. */
export function missingChunks(s: Pick<UploadSessionRow, 'total_chunks' | 'received_chunks'>): number[] {
  const got = new Set(s.received_chunks);
  const missing: number[] = [];
  for (let i = 0; i < s.total_chunks; i++) if (!got.has(i)) missing.push(i);
  return missing;
}

/** Moves a session from one status to another (e.g. active → completing, so two completes cannot both run). */
export async function transitionSession(tx: Queryable, id: string, from: SessionStatus, to: SessionStatus): Promise<UploadSessionRow | undefined> {
  const [row] = await tx.unsafe<UploadSessionRow[]>(
    `update storage.upload_sessions set status = $3, updated_at = now() where id = $1 and status = $2 returning ${COLUMNS}`,
    [id, from, to], { prepare: true });
  return row;
}

/** Abort or after complete: the row goes; the route deletes staged bytes after COMMIT. */
export async function deleteSession(tx: Queryable, id: string): Promise<UploadSessionRow | undefined> {
  const [row] = await tx.unsafe<UploadSessionRow[]>(`delete from storage.upload_sessions where id = $1 returning ${COLUMNS}`, [id], { prepare: true });
  return row;
}

// ---- sweep (service_role context) ----

/** Deletes up to `limit` expired sessions and returns them, so their staged bytes can be deleted. */
export async function deleteExpiredSessions(tx: Queryable, limit = 100): Promise<UploadSessionRow[]> {
  return tx.unsafe<UploadSessionRow[]>(
    `delete from storage.upload_sessions where id in (
       select id from storage.upload_sessions where expires_at <= now() order by expires_at limit $1 for update skip locked)
     returning ${COLUMNS}`,
    [limit], { prepare: true });
}

/** Of the session ids the backend holds staged bytes for, those with no session row (bucket deleted, crash). */
export async function orphanSessionIds(tx: Queryable, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await tx.unsafe<{ id: string }[]>(
    'select k.id from unnest($1::text[]) as k (id) where not exists (select 1 from storage.upload_sessions s where s.id = k.id)',
    [ids] as never[], { prepare: true });
  return rows.map((r) => r.id);
}
