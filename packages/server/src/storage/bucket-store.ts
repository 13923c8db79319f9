// Bucket SQL (migrations/016_storage.up.sql). Every function takes the caller's request
// transaction (withRequestTx), so RLS decides: anyone sees public buckets, signed-in users see
// every bucket, and only the admin principal (storage.is_admin()) may create, change or
// delete one. A refused write is "no row" here (RLS filters UPDATE/DELETE) or a 42501 error
// (INSERT), which the route maps to 403. No byte handling: the route deletes bucket storage.
import type postgres from 'postgres';

export type Queryable = postgres.Sql | postgres.TransactionSql | postgres.ReservedSql;

export interface BucketRow {
  id: string;
  name: string;
  public: boolean;
  allowed_mime_types: string[] | null;
  max_file_size: number | null;
  owner_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface BucketFields {
  public?: boolean | undefined;
  /** null clears the restriction. */
  allowed_mime_types?: string[] | null | undefined;
  /** Bytes; null clears the limit. */
  max_file_size?: number | null | undefined;
}

// int8 as a JS number (sizes stay far below 2^53).
const BUCKET_COLUMNS = 'id, name, public, allowed_mime_types, max_file_size::float8 as max_file_size, owner_id, created_at, updated_at';

export async function getBucket(tx: Queryable, id: string): Promise<BucketRow | undefined> {
  const [row] = await tx.unsafe<BucketRow[]>(`select ${BUCKET_COLUMNS} from storage.buckets where id = $1`, [id], { prepare: true });
  return row;
}

/** RLS-visible buckets, newest first. */
export async function listBuckets(tx: Queryable): Promise<BucketRow[]> {
  return tx.unsafe<BucketRow[]>(`select ${BUCKET_COLUMNS} from storage.buckets order by created_at desc, id`, [], { prepare: true });
}

/** `exists` when the name is taken (visible to the caller or not); an RLS refusal throws 42501. */
export async function createBucket(tx: Queryable, id: string, f: BucketFields): Promise<{ status: 'created'; bucket: BucketRow } | { status: 'exists' }> {
  const [row] = await tx.unsafe<BucketRow[]>(
    `insert into storage.buckets (id, name, public, allowed_mime_types, max_file_size)
     values ($1, $1, $2, $3, $4)
     on conflict (id) do nothing
     returning ${BUCKET_COLUMNS}`,
    [id, f.public ?? false, f.allowed_mime_types ?? null, f.max_file_size ?? null] as never[], { prepare: true });
  return row ? { status: 'created', bucket: row } : { status: 'exists' };
}

/** Only the given fields change. undefined: absent, or not the caller's to change (RLS). */
export async function updateBucket(tx: Queryable, id: string, f: BucketFields): Promise<BucketRow | undefined> {
  const [row] = await tx.unsafe<BucketRow[]>(
    `update storage.buckets set
       public = case when $2 then $3 else public end,
       allowed_mime_types = case when $4 then $5 else allowed_mime_types end,
       max_file_size = case when $6 then $7 else max_file_size end,
       updated_at = now()
     where id = $1
     returning ${BUCKET_COLUMNS}`,
    [id, f.public !== undefined, f.public ?? false, f.allowed_mime_types !== undefined, f.allowed_mime_types ?? null,
      f.max_file_size !== undefined, f.max_file_size ?? null] as never[], { prepare: true });
  return row;
}

export type DeleteBucketResult = 'deleted' | 'not_found' | 'not_empty';

/**
 * Deletes an empty bucket. Emptiness is decided by the foreign key from storage.objects, which
 * sees every object whatever RLS shows the caller. The statement runs in a savepoint so a
 * refusal leaves the caller's transaction usable. Pending upload sessions of the bucket go
 * with it (their staged bytes are swept by `orphanSessionIds`).
 */
export async function deleteBucket(tx: Queryable, id: string): Promise<DeleteBucketResult> {
  // Fast path: objects the caller sees.
  const [visible] = await tx.unsafe<{ n: number }[]>(
    'select count(*)::int as n from (select 1 from storage.objects where bucket_id = $1 limit 1) o', [id], { prepare: true });
  if (visible && visible.n > 0) return 'not_empty';
  await tx.unsafe('savepoint storage_delete_bucket');
  try {
    const rows = await tx.unsafe('delete from storage.buckets where id = $1', [id], { prepare: true });
    await tx.unsafe('release savepoint storage_delete_bucket');
    return rows.count > 0 ? 'deleted' : 'not_found';
  } catch (err) {
    await tx.unsafe('rollback to savepoint storage_delete_bucket');
    if ((err as { code?: string }).code === '23503') return 'not_empty';
    throw err;
  }
}

/** Objects in the bucket visible to the caller (exact). */
export async function countObjects(tx: Queryable, bucketId: string): Promise<number> {
  const [row] = await tx.unsafe<{ n: number }[]>('select count(*)::int as n from storage.objects where bucket_id = $1', [bucketId], { prepare: true });
  return row?.n ?? 0;
}
