// Object shares (API.md §10 `…/<path>/share`, `…/share/:user_id`, `…/shares`): an object's
// owner grants another user read or write on it; storage.objects' policies then let that
// user read (or overwrite, move, delete) it. Every step runs in the caller's transaction, so
// RLS on storage.object_shares has the last word (share-store.ts); the checks here only turn
// its silent refusals into clear answers: 404 when the caller cannot see the object, 403 when
// they see it but do not own it. The admin principal (service role, or a user whose
// auth.users.role is admin) acts on any object through the context `asAdmin` returns.
import { withRequestTx, type Database } from '../db/index.ts';
import { AppError, errors, invalidField } from '../http/index.ts';
import { findObject, type ObjectRow, type Queryable } from './object-store.ts';
import type { Caller } from './service.ts';
import { deleteShare, isObjectOwner, listShares, upsertShare, type SharePermission, type ShareRow } from './share-store.ts';
import { objectNotFound, validBucket, validObject } from './upload-rules.ts';

export interface ShareServiceDeps {
  db: Database;
}

/** Who acts: their own context, and (looked up only when needed) a service-role context if they are an admin. */
export interface ShareActor {
  caller: Caller;
  asAdmin: () => Promise<Caller | undefined>;
}

type Attempt<T> = { status: 'done'; value: T } | { status: 'not_found' } | { status: 'not_owner' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class ShareService {
  constructor(private readonly deps: ShareServiceDeps) {}

  private tx<T>(caller: Caller, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return withRequestTx(this.deps.db.pool, caller, fn);
  }

  /**
   * Runs `fn` on the object as its owner (the caller's context, RLS checking again), or as the
   * admin context when the caller is not the owner but is an admin.
   */
  private async asOwner<T>(actor: ShareActor, bucket: string, name: string, fn: (tx: Queryable, row: ObjectRow) => Promise<T>): Promise<T> {
    validBucket(bucket);
    validObject(name);
    const attempt = (ctx: Caller, ownerOnly: boolean) => this.tx(ctx, async (tx): Promise<Attempt<T>> => {
      const row = await findObject(tx, bucket, name);
      if (!row) return { status: 'not_found' };
      if (ownerOnly && !(await isObjectOwner(tx, row.id))) return { status: 'not_owner' };
      return { status: 'done', value: await fn(tx, row) };
    });
    const first = actor.caller.role === 'service_role' ? await attempt(actor.caller, false) : await attempt(actor.caller, true);
    if (first.status === 'done') return first.value;
    const admin = actor.caller.role === 'service_role' ? undefined : await actor.asAdmin();
    const r = admin ? await attempt(admin, false) : first;
    if (r.status === 'done') return r.value;
    if (r.status === 'not_found') throw objectNotFound(bucket, name);
    throw new AppError('ACCESS_DENIED', {
      message: `Only the owner of "${name}" can manage its shares`, details: { bucket, path: name },
    });
  }

  /** Grants `permission` to `userId`, or changes it (the share's upsert). */
  share(actor: ShareActor, bucket: string, name: string, userId: string, permission: SharePermission): Promise<ShareRow> {
    checkUserId(userId);
    return this.asOwner(actor, bucket, name, (tx, row) => {
      if (row.owner_id !== null && row.owner_id.toLowerCase() === userId.toLowerCase()) {
        throw invalidField('user_id', 'is the object\'s owner, who has full access already');
      }
      return upsertShare(tx, row.id, userId, permission);
    });
  }

  /** Revokes `userId`'s share; 404 when they have none. */
  async revoke(actor: ShareActor, bucket: string, name: string, userId: string): Promise<void> {
    checkUserId(userId);
    const removed = await this.asOwner(actor, bucket, name, (tx, row) => deleteShare(tx, row.id, userId));
    if (!removed) throw errors.notFound('share', `User ${userId} has no share of "${name}"`);
  }

  /**
   * The object's shares the caller may see: all of them for its owner and admins, their own
   * share for a user it is shared with (RLS on storage.object_shares decides).
   */
  async list(actor: ShareActor, bucket: string, name: string): Promise<ShareRow[]> {
    validBucket(bucket);
    validObject(name);
    const mine = await this.tx(actor.caller, async (tx) => {
      const row = await findObject(tx, bucket, name);
      if (!row) return undefined;
      const owner = actor.caller.role === 'service_role' || (await isObjectOwner(tx, row.id));
      return { owner, shares: await listShares(tx, row.id) };
    });
    if (mine?.owner) return mine.shares;
    const admin = await actor.asAdmin();
    if (admin) {
      return this.tx(admin, async (tx) => {
        const row = await findObject(tx, bucket, name);
        if (!row) throw objectNotFound(bucket, name);
        return listShares(tx, row.id);
      });
    }
    if (!mine) throw objectNotFound(bucket, name);
    return mine.shares;
  }
}

function checkUserId(userId: string): void {
  if (!UUID.test(userId)) throw invalidField('user_id', 'must be a user id (a UUID)');
}
