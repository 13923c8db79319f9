// Key management (docs/auth.md "Service keys"), part two: revoke (refused from the next request),
// deprecate (works until the grace period ends), rotate (new key + old one deprecated, in
// one transaction), the revocation history, and service-role JWT revocation.
import { AppError } from '../../http/index.ts';
import { authTx } from '../core/db.ts';
import { change, insertNewKey, keyNotFound, mustGet, type AdminContext, type CreatedKey } from './key-admin.ts';
import type { DeprecateInput, RotateInput } from './key-input.ts';
import type { ServiceKeyRow } from './key-status.ts';
import {
  deprecateKey, getKey, insertRevocation, insertServiceRoleRevocation, listRevocations, notifyChange, revokeKey,
  SERVICE_ROLE_PAYLOAD, type Revocation,
} from './key-store.ts';

const MAX_NAME = 200;

function stateConflict(row: ServiceKeyRow, action: string): AppError {
  const state = row.revoked_at !== null ? 'revoked' : 'deprecated';
  return new AppError('CONFLICT', { message: `This service key is already ${state}; it cannot be ${action}`, details: { key_id: row.id, state } });
}

export function revoke(ctx: AdminContext, id: string, reason: string): Promise<{ success: true; message: string; key_id: string }> {
  return change(ctx, async (sql, audit) => {
    const row = await revokeKey(sql, id, reason);
    if (!row) throw stateConflict(await mustGet(sql, id), 'revoked again');
    await insertRevocation(sql, row, 'emergency', reason, ctx.actor);
    await audit(id, 'revoke', { reason });
    return { success: true, message: 'Service key revoked', key_id: id };
  });
}

export interface Deprecated {
  success: true;
  message: string;
  key_id: string;
  grace_period_ends: string;
  grace_period_hours: number;
}

export function deprecate(ctx: AdminContext, id: string, input: DeprecateInput): Promise<Deprecated> {
  return change(ctx, async (sql, audit) => {
    const row = await deprecateKey(sql, id, input.graceHours, null);
    if (!row) throw stateConflict(await mustGet(sql, id), 'deprecated');
    await insertRevocation(sql, row, 'rotation', input.reason, ctx.actor);
    const ends = row.grace_period_ends_at!.toISOString();
    await audit(id, 'deprecate', { reason: input.reason, grace_period_hours: input.graceHours, grace_period_ends: ends });
    return { success: true, message: `Service key deprecated; it works until ${ends}`, key_id: id, grace_period_ends: ends, grace_period_hours: input.graceHours };
  });
}

export interface Rotated {
  success: true;
  message: string;
  old_key_id: string;
  grace_period_ends: string;
  new_key: CreatedKey;
}

export function rotate(ctx: AdminContext, id: string, input: RotateInput): Promise<Rotated> {
  return change(ctx, async (sql, audit) => {
    const old = await mustGet(sql, id, true);
    if (old.revoked_at !== null || old.deprecated_at !== null) throw stateConflict(old, 'rotated');
    // The successor keeps the old key's description, scopes and limits; it has no expiry.
    const created = await insertNewKey(sql, ctx.actor, {
      name: input.newName ?? `${old.name} (rotated)`.slice(0, MAX_NAME),
      description: old.description,
      scopes: input.newScopes ?? old.scopes,
      rateLimitPerMinute: old.rate_limit_per_minute,
      rateLimitPerHour: old.rate_limit_per_hour,
      expiresAt: null,
    });
    const deprecated = (await deprecateKey(sql, id, input.graceHours, created.id))!;
    await insertRevocation(sql, deprecated, 'rotation', `Rotated; replaced by ${created.id}`, ctx.actor);
    const ends = deprecated.grace_period_ends_at!.toISOString();
    await audit(id, 'rotate', { new_key_id: created.id, grace_period_hours: input.graceHours, grace_period_ends: ends });
    await audit(created.id, 'create', { name: created.name, scopes: created.scopes, key_prefix: created.key_prefix, rotated_from: id });
    return { success: true, message: `Service key rotated; the old key works until ${ends}`, old_key_id: id, grace_period_ends: ends, new_key: created };
  });
}

/** A deleted key keeps its history: 404 only when neither the key nor any record exists. */
export async function revocations(ctx: AdminContext, id: string): Promise<Revocation[]> {
  return ctx.pool.withConnection(async (sql) => {
    const rows = await listRevocations(sql, id);
    if (rows.length === 0 && !(await getKey(sql, id))) throw keyNotFound();
    return rows;
  });
}

export async function revokeServiceRoleJwts(ctx: AdminContext, reason: string): Promise<{ revoked_before: string }> {
  const before = await authTx(ctx.pool, async (sql) => {
    const at = await insertServiceRoleRevocation(sql, reason, ctx.actor);
    await notifyChange(sql, SERVICE_ROLE_PAYLOAD);
    return at;
  });
  ctx.cache?.serviceRoleRevoked(before);
  return { revoked_before: before.toISOString() };
}
