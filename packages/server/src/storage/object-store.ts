// Object metadata SQL (migrations/016_storage.up.sql). Every function takes the caller's
// request transaction (withRequestTx), so RLS on storage.objects is the whole authorization;
// names must have passed name-rules.ts first.
//
// Check before bytes (API.md §10: a refused write never touches the stored file). An upload is
//   1. withRequestTx: getBucket (limits, MIME types) and checkWrite, which runs the very
//      INSERT … ON CONFLICT that step 3 will run inside a savepoint and rolls it back: RLS
//      (insert WITH CHECK; for an overwrite the update and select policies on the existing
//      row), the name conflict without upsert and the bucket's existence are decided by
//      PostgreSQL, and nothing is kept. Refusals answer 403 / 409 / 404 here.
//   2. the bytes are streamed to the backend (atomic replace: temp file or multipart, then
//      rename/complete). No transaction is open meanwhile, so a slow upload holds no
//      connection from the bounded pool.
//   3. withRequestTx: insertObject, the real write, RLS checked again (policies or shares may
//      have changed in between). If it refuses now, the route deletes what step 2 wrote.
//   4. after COMMIT, bytes of a replaced version (`previous.version`) may be deleted.
// Holding one transaction across the upload (insert first, stream, commit) was rejected: it
// pins a pool connection and row lock for as long as a client takes to send its bytes.
// `version` changes with every write; a backend key that includes it (or a transform cache
// keyed by it) never serves bytes of a version the committed row does not name.
import type { Queryable } from './bucket-store.ts';

export type { Queryable } from './bucket-store.ts';

export interface ObjectRow {
  id: string;
  bucket_id: string;
  name: string;
  /** Alias of `name` (upstream's column). */
  path: string;
  owner_id: string | null;
  mime_type: string | null;
  size: number;
  etag: string | null;
  cache_control: string | null;
  metadata: Record<string, unknown>;
  version: string;
  created_at: Date;
  updated_at: Date;
  last_accessed_at: Date | null;
}

export interface NewObject {
  bucket_id: string;
  name: string;
  /** undefined: the caller (auth.uid()); null: no owner (service role uploads). RLS has the last word. */
  owner_id?: string | null | undefined;
  mime_type: string | null;
  size: number;
  etag: string | null;
  cache_control?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
  /** The version the bytes were written under; undefined: a fresh one. */
  version?: string | undefined;
}

export type InsertResult =
  | { status: 'created' | 'updated'; object: ObjectRow; previous: { version: string; size: number } | null }
  | { status: 'exists' };

export type WriteCheck =
  | { ok: true; overwrites: { version: string; size: number } | null }
  | { ok: false; reason: 'exists' | 'denied' | 'bucket_not_found' };

export interface ListOptions {
  prefix?: string | undefined;
  /** '' (default): every object under the prefix; '/': direct children plus common prefixes. */
  delimiter?: string | undefined;
  /** Case-insensitive substring of the entry's own name (after the prefix, before the delimiter). */
  search?: string | undefined;
  /** Default 1,000; entries (objects and prefixes together) in key order. */
  limit?: number | undefined;
  offset?: number | undefined;
}

export interface ListResult {
  objects: ObjectRow[];
  /** Common prefixes, each ending with the delimiter ("photos/2024/"). */
  prefixes: string[];
  /** Entries (objects + prefixes) matching, before limit and offset. */
  count: number;
}

// int8 as a JS number (sizes stay far below 2^53).
const columns = (a: string) => `${a}.id, ${a}.bucket_id, ${a}.name, ${a}.path, ${a}.owner_id, ${a}.mime_type, ${a}.size::float8 as size, ${a}.etag,
  ${a}.cache_control, ${a}.metadata, ${a}.version, ${a}.created_at, ${a}.updated_at, ${a}.last_accessed_at`;
const COLUMNS = columns('objects');

const pgCode = (err: unknown): string | undefined => (err as { code?: string } | null)?.code;

/** Runs `fn` in a savepoint: rolled back when `keep` is false or fn throws; the transaction stays usable. */
async function inSavepoint<T>(tx: Queryable, name: string, fn: () => Promise<T>, keep: boolean): Promise<T> {
  await tx.unsafe(`savepoint ${name}`);
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await tx.unsafe(`rollback to savepoint ${name}`);
    await tx.unsafe(`release savepoint ${name}`);
    throw err;
  }
  if (!keep) await tx.unsafe(`rollback to savepoint ${name}`);
  await tx.unsafe(`release savepoint ${name}`);
  return result;
}

export async function findObject(tx: Queryable, bucketId: string, name: string): Promise<ObjectRow | undefined> {
  const [row] = await tx.unsafe<ObjectRow[]>(`select ${COLUMNS} from storage.objects where bucket_id = $1 and name = $2`, [bucketId, name], { prepare: true });
  return row;
}

export async function findObjectById(tx: Queryable, id: string): Promise<ObjectRow | undefined> {
  const [row] = await tx.unsafe<ObjectRow[]>(`select ${COLUMNS} from storage.objects where id = $1`, [id], { prepare: true });
  return row;
}

/**
 * Supabase/S3 listing. Without a delimiter every visible object whose name starts with
 * `prefix`; with one, the direct children (objects) and the distinct next-level folders
 * (prefixes), paged together in byte order of the key.
 */
export async function listObjects(tx: Queryable, bucketId: string, options: ListOptions = {}): Promise<ListResult> {
  const prefix = options.prefix ?? '';
  const upper = prefixUpperBound(prefix);
  const rows = await tx.unsafe<({ key: string | null; is_prefix: boolean | null; total: number } & Partial<ObjectRow>)[]>(
    `with m as (
       select o.id, o.name, substr(o.name, char_length($2) + 1) as rest
       from storage.objects o
       where o.bucket_id = $1 and o.name >= $2 and ($7::text is null or o.name < $7) and left(o.name, char_length($2)) = $2
     ), k as (
       select id, name, rest, case when $3 = '' then 0 else strpos(rest, $3) end as cut from m
     ), e as (
       select distinct on (key, is_prefix) key, is_prefix, id from (
         select case when cut > 0 then $2 || left(rest, cut - 1) || $3 else name end as key,
                cut > 0 as is_prefix,
                case when cut > 0 then null else id end as id,
                case when cut > 0 then left(rest, cut - 1) else rest end as entry
         from k) x
       where $4 = '' or strpos(lower(entry), lower($4)) > 0
       order by key, is_prefix
     )
     select p.key, p.is_prefix, t.total, ${columns('o')}
     from (select count(*)::int as total from e) t
     left join lateral (select key, is_prefix, id from e order by key, is_prefix limit $5 offset $6) p on true
     left join storage.objects o on o.id = p.id
     order by p.key, p.is_prefix`,
    [bucketId, prefix, options.delimiter ?? '', options.search ?? '', options.limit ?? 1000, options.offset ?? 0, upper], { prepare: true });
  const result: ListResult = { objects: [], prefixes: [], count: rows[0]?.total ?? 0 };
  for (const r of rows) {
    if (r.key === null) continue;
    if (r.is_prefix) result.prefixes.push(r.key);
    else if (r.id) {
      const { key: _k, is_prefix: _p, total: _t, ...object } = r;
      result.objects.push(object as ObjectRow);
    }
  }
  return result;
}

/** The least string greater than every string starting with `prefix` (code point order = UTF-8 byte order), or null. */
export function prefixUpperBound(prefix: string): string | null {
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const last = cps.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return cps.join('') + String.fromCodePoint(next);
    }
  }
  return null;
}

/**
 * The real write: a new row, or with `upsert` the existing row's bytes-related fields (its id,
 * owner, shares and created_at stay). `exists` without upsert when the name is taken. An RLS
 * refusal throws 42501 (→ 403), a missing bucket 23503.
 */
export async function insertObject(tx: Queryable, input: NewObject, options: { upsert: boolean }): Promise<InsertResult> {
  let previous: { version: string; size: number } | null = null;
  if (options.upsert) {
    // Locks the row this upsert replaces; hidden or read-only rows are not returned and the
    // upsert below is then refused by RLS.
    const [prev] = await tx.unsafe<{ version: string; size: number }[]>(
      'select version, size::float8 as size from storage.objects where bucket_id = $1 and name = $2 for update', [input.bucket_id, input.name], { prepare: true });
    previous = prev ?? null;
  }
  const params = [
    input.bucket_id, input.name, input.owner_id !== undefined, input.owner_id ?? null, input.mime_type, input.size, input.etag,
    input.cache_control ?? null, input.metadata ?? {}, input.version ?? null,
  ];
  const values = `($1, $2, case when $3 then $4::uuid else auth.uid() end, $5, $6, $7, $8, $9::jsonb, coalesce($10::uuid, gen_random_uuid()))`;
  const conflict = options.upsert
    ? `do update set mime_type = excluded.mime_type, size = excluded.size, etag = excluded.etag, cache_control = excluded.cache_control,
         metadata = excluded.metadata, version = excluded.version, updated_at = now()`
    : 'do nothing';
  const [row] = await tx.unsafe<(ObjectRow & { inserted: boolean })[]>(
    `insert into storage.objects as t (bucket_id, name, owner_id, mime_type, size, etag, cache_control, metadata, version)
     values ${values}
     on conflict (bucket_id, name) ${conflict}
     returning ${columns('t')}, (t.xmax = 0) as inserted`,
    params as never[], { prepare: true });
  if (!row) return { status: 'exists' };
  const { inserted, ...object } = row;
  return { status: inserted ? 'created' : 'updated', object, previous: inserted ? null : previous };
}

/**
 * The RLS decision for `insertObject(tx, input, options)`, taken before any byte is written:
 * the same statement in a savepoint, rolled back. Pass the declared size, type and metadata so
 * that policies reading them decide as they will at the real write.
 */
export async function checkWrite(tx: Queryable, input: NewObject, options: { upsert: boolean }): Promise<WriteCheck> {
  try {
    const result = await inSavepoint(tx, 'storage_check_write', () => insertObject(tx, input, options), false);
    return result.status === 'exists' ? { ok: false, reason: 'exists' } : { ok: true, overwrites: result.previous };
  } catch (err) {
    if (pgCode(err) === '42501') return { ok: false, reason: 'denied' };
    if (pgCode(err) === '23503') return { ok: false, reason: 'bucket_not_found' };
    throw err;
  }
}

export interface ObjectChanges {
  mime_type?: string | null | undefined;
  size?: number | undefined;
  etag?: string | null | undefined;
  cache_control?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
  version?: string | undefined;
}

/** Changes only the given fields. undefined: absent, or not writable by the caller. */
export async function updateObject(tx: Queryable, bucketId: string, name: string, c: ObjectChanges): Promise<ObjectRow | undefined> {
  const [row] = await tx.unsafe<ObjectRow[]>(
    `update storage.objects set
       mime_type = case when $3 then $4 else mime_type end,
       size = case when $5 then $6::bigint else size end,
       etag = case when $7 then $8 else etag end,
       cache_control = case when $9 then $10 else cache_control end,
       metadata = case when $11 then $12::jsonb else metadata end,
       version = case when $13 then $14::uuid else version end,
       updated_at = now()
     where bucket_id = $1 and name = $2
     returning ${COLUMNS}`,
    [bucketId, name, c.mime_type !== undefined, c.mime_type ?? null, c.size !== undefined, c.size ?? 0, c.etag !== undefined, c.etag ?? null,
      c.cache_control !== undefined, c.cache_control ?? null, c.metadata !== undefined, c.metadata ?? {}, c.version !== undefined, c.version ?? null] as never[],
    { prepare: true });
  return row;
}

/** Sets last_accessed_at (downloads); false when the caller may not update the row, which is fine. */
export async function touchObject(tx: Queryable, id: string): Promise<boolean> {
  const rows = await tx.unsafe('update storage.objects set last_accessed_at = now() where id = $1', [id], { prepare: true });
  return rows.count > 0;
}

/** The deleted row (delete its bytes after COMMIT), or undefined: absent or not the caller's to delete (404). */
export async function deleteObject(tx: Queryable, bucketId: string, name: string): Promise<ObjectRow | undefined> {
  const [row] = await tx.unsafe<ObjectRow[]>(`delete from storage.objects where bucket_id = $1 and name = $2 returning ${COLUMNS}`, [bucketId, name], { prepare: true });
  return row;
}

/** Deletes the names the caller may delete; returns those rows (Supabase's bulk remove). */
export async function deleteObjects(tx: Queryable, bucketId: string, names: string[]): Promise<ObjectRow[]> {
  return tx.unsafe<ObjectRow[]>(`delete from storage.objects where bucket_id = $1 and name = any($2::text[]) returning ${COLUMNS}`,
    [bucketId, names] as never[], { prepare: true });
}

export type MoveResult =
  | { status: 'moved'; object: ObjectRow; from: { bucket_id: string; name: string } }
  | { status: 'not_found' | 'exists' | 'denied' | 'bucket_not_found' };

/**
 * Renames an object (same id, owner, version and shares). `not_found`: absent or not the
 * caller's to update; `exists`: the target name is taken; `denied`: the row may not take the
 * new name (an update WITH CHECK refusal). The bytes move after COMMIT only when the backend
 * keys them by name.
 */
export async function moveObject(tx: Queryable, bucketId: string, from: string, to: string, toBucketId: string = bucketId): Promise<MoveResult> {
  try {
    return await inSavepoint(tx, 'storage_move', async () => {
      const [row] = await tx.unsafe<ObjectRow[]>(
        `update storage.objects set bucket_id = $3, name = $4, updated_at = now() where bucket_id = $1 and name = $2 returning ${COLUMNS}`,
        [bucketId, from, toBucketId, to], { prepare: true });
      return row ? { status: 'moved' as const, object: row, from: { bucket_id: bucketId, name: from } } : { status: 'not_found' as const };
    }, true);
  } catch (err) {
    return { status: writeRefusal(err) };
  }
}

export type CopyResult =
  | { status: 'copied'; object: ObjectRow; source: ObjectRow }
  | { status: 'not_found' | 'exists' | 'denied' | 'bucket_not_found' };

/**
 * A new object (new id and version, owned by the caller, no shares) with the source's type,
 * size, etag, cache control and metadata. The source must be readable; the target insert goes
 * through RLS as an upload does. Use it as checkWrite + insertObject are used: with `dryRun`
 * before copying bytes (source.version → object.version), then for real.
 */
export async function copyObject(
  tx: Queryable, bucketId: string, from: string, to: string,
  options: { toBucketId?: string; upsert?: boolean; dryRun?: boolean; version?: string } = {},
): Promise<CopyResult> {
  const source = await findObject(tx, bucketId, from);
  if (!source) return { status: 'not_found' };
  try {
    const result = await inSavepoint(tx, 'storage_copy', () => insertObject(tx, {
      bucket_id: options.toBucketId ?? bucketId, name: to, mime_type: source.mime_type, size: source.size, etag: source.etag,
      cache_control: source.cache_control, metadata: source.metadata, version: options.version,
    }, { upsert: options.upsert ?? false }), !options.dryRun);
    return result.status === 'exists' ? { status: 'exists' } : { status: 'copied', object: result.object, source };
  } catch (err) {
    return { status: writeRefusal(err) };
  }
}

function writeRefusal(err: unknown): 'exists' | 'denied' | 'bucket_not_found' {
  switch (pgCode(err)) {
    case '23505': return 'exists';
    case '42501': return 'denied';
    case '23503': return 'bucket_not_found';
    default: throw err;
  }
}

// ---- reconciliation (admin side: run under a service_role context, which bypasses RLS) ----

export interface StoredKey {
  bucket_id: string;
  name: string;
  /** When the backend keys bytes by version too; undefined: any version of the name counts. */
  version?: string | undefined;
}

/**
 * Of the keys a backend listing found, those no row names (bytes of a failed or refused write,
 * of a replaced version, or of a deleted object whose byte delete failed): safe to delete once
 * older than the longest upload (the sweep must not race step 2 → 3 of an upload in flight).
 */
export async function orphans(tx: Queryable, keys: StoredKey[]): Promise<StoredKey[]> {
  if (keys.length === 0) return [];
  const rows = await tx.unsafe<{ bucket_id: string; name: string; version: string | null }[]>(
    `select k.bucket_id, k.name, k.version
     from unnest($1::text[], $2::text[], $3::text[]) as k (bucket_id, name, version)
     where not exists (
       select 1 from storage.objects x
       where x.bucket_id = k.bucket_id and x.name = k.name collate "C" and (k.version is null or x.version::text = k.version))`,
    [keys.map((k) => k.bucket_id), keys.map((k) => k.name), keys.map((k) => k.version ?? null)] as never[], { prepare: true });
  return rows.map((r) => (r.version === null ? { bucket_id: r.bucket_id, name: r.name } : { bucket_id: r.bucket_id, name: r.name, version: r.version }));
}

/** Rows whose bytes the backend does not have (`present` = the keys it listed for this bucket), for a report. */
export async function missingBytes(tx: Queryable, bucketId: string, present: string[]): Promise<ObjectRow[]> {
  return tx.unsafe<ObjectRow[]>(
    `select ${COLUMNS} from storage.objects where bucket_id = $1 and not (name = any($2::text[])) order by name`,
    [bucketId, present] as never[], { prepare: true });
}

/** Narrow helper for callers holding a postgres.js error. */
export function isRlsRefusal(err: unknown): boolean {
  return pgCode(err) === '42501';
}


/**
 * Of `versions` (backend keys under `bucketId`), those no object row names: bytes left by a
 * crash between the backend write and the commit, or by a failed cleanup (storage/sweep.ts).
 * Run as the service role (it must see every row).
 */
export async function unreferencedVersions(tx: Queryable, bucketId: string, versions: string[]): Promise<string[]> {
  if (versions.length === 0) return [];
  const rows = await tx.unsafe<{ v: string }[]>(
    `select v from unnest($2::text[]) as v
     where not exists (select 1 from storage.objects x where x.bucket_id = $1 and x.version::text = v)`,
    [bucketId, versions] as never[], { prepare: true });
  return rows.map((r) => r.v);
}
