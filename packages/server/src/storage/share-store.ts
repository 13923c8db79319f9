// Share SQL (migrations/016_storage.up.sql, storage.object_shares): an object's owner grants
// another user read or write on it. Under the caller's request transaction: only the owner
// may grant, change or revoke (RLS refuses others with 42501 on insert, or by matching no row),
// and a share is visible to its user and to its granter.
import type { Queryable } from './bucket-store.ts';

export type SharePermission = 'read' | 'write';

export interface ShareRow {
  object_id: string;
  user_id: string;
  permission: SharePermission;
  granted_by: string | null;
  created_at: Date;
}

/** Grants or changes a share (upsert). An RLS refusal (not the owner) throws 42501 → 403. */
export async function upsertShare(tx: Queryable, objectId: string, userId: string, permission: SharePermission): Promise<ShareRow> {
  const [row] = await tx.unsafe<ShareRow[]>(
    `insert into storage.object_shares (object_id, user_id, permission) values ($1, $2, $3)
     on conflict (object_id, user_id) do update set permission = excluded.permission, granted_by = excluded.granted_by
     returning object_id, user_id, permission, granted_by, created_at`,
    [objectId, userId, permission], { prepare: true });
  return row!;
}

/** false: no such share, or not the caller's to revoke. */
export async function deleteShare(tx: Queryable, objectId: string, userId: string): Promise<boolean> {
  const rows = await tx.unsafe('delete from storage.object_shares where object_id = $1 and user_id = $2', [objectId, userId], { prepare: true });
  return rows.count > 0;
}

/** The object's shares the caller may see (all of them for its owner), oldest first. */
export async function listShares(tx: Queryable, objectId: string): Promise<ShareRow[]> {
  return tx.unsafe<ShareRow[]>(
    'select object_id, user_id, permission, granted_by, created_at from storage.object_shares where object_id = $1 order by created_at, user_id',
    [objectId], { prepare: true });
}

/** Whether the caller owns the object (the share routes answer 403 "only the owner can share" otherwise). */
export async function isObjectOwner(tx: Queryable, objectId: string): Promise<boolean> {
  const [row] = await tx.unsafe<{ owner: boolean }[]>('select storage.is_object_owner($1) as owner', [objectId], { prepare: true });
  return row?.owner ?? false;
}
