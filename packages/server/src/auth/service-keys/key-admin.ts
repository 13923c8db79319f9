// Key management (docs/auth.md "Service keys"), part one: create, read, update,
// enable/disable, delete. Each change runs in one transaction with its audit row and a
// NOTIFY (delivered at commit), then drops this instance's cache so the next request sees
// it.
import type { Pool, ReservedSql } from '../../db/index.ts';
import { AppError, errors } from '../../http/index.ts';
import { authTx } from '../core/db.ts';
import { generateKey } from './key-format.ts';
import type { CreateInput, PatchInput } from './key-input.ts';
import { toServiceKey, type ServiceKey, type ServiceKeyRow } from './key-status.ts';
import { deleteKey, getKey, insertAudit, insertKey, listKeys, notifyChange, updateKey, type AuditAction, type KeyColumnValue } from './key-store.ts';
import type { KeyCacheControl } from './service-keys.ts';

/** Who acts and from where (written to the audit), and where. */
export interface AdminContext {
  pool: Pool;
  /** 'service_role' or 'user:<uuid>'. */
  actor: string;
  ip: string | null;
  cache: KeyCacheControl | undefined;
}

export type CreatedKey = ServiceKey & { key: string };

export const keyNotFound = (): AppError => errors.notFound('service_key', 'Service key not found');

export async function mustGet(sql: ReservedSql, id: string, forUpdate = false): Promise<ServiceKeyRow> {
  const row = await getKey(sql, id, forUpdate);
  if (!row) throw keyNotFound();
  return row;
}

/** Run a change with its audit row; the cache is dropped after commit. */
export async function change<T>(ctx: AdminContext, fn: (sql: ReservedSql, audit: (keyId: string | null, action: AuditAction, details: Record<string, unknown>) => Promise<void>) => Promise<T>): Promise<T> {
  const result = await authTx(ctx.pool, async (sql) => {
    const out = await fn(sql, (keyId, action, details) => insertAudit(sql, keyId, action, ctx.actor, ctx.ip, details));
    await notifyChange(sql, 'keys');
    return out;
  });
  ctx.cache?.keysChanged();
  return result;
}

/** A new key row (create and rotate share it: one format; upstream padded rotated keys). */
export async function insertNewKey(sql: ReservedSql, actor: string, input: CreateInput): Promise<CreatedKey> {
  const fresh = generateKey();
  const row = await insertKey(sql, {
    name: input.name, description: input.description, prefix: fresh.prefix, hash: fresh.hash, scopes: input.scopes,
    rateLimitPerMinute: input.rateLimitPerMinute, rateLimitPerHour: input.rateLimitPerHour, expiresAt: input.expiresAt, createdBy: actor,
  });
  return { ...toServiceKey(row), key: fresh.key };
}

export function createKey(ctx: AdminContext, input: CreateInput): Promise<CreatedKey> {
  return change(ctx, async (sql, audit) => {
    const created = await insertNewKey(sql, ctx.actor, input);
    await audit(created.id, 'create', { name: created.name, scopes: created.scopes, key_prefix: created.key_prefix });
    return created;
  });
}

export async function listServiceKeys(ctx: AdminContext): Promise<ServiceKey[]> {
  const rows = await ctx.pool.withConnection((sql) => listKeys(sql));
  const now = Date.now();
  return rows.map((r) => toServiceKey(r, now));
}

export async function getServiceKey(ctx: AdminContext, id: string): Promise<ServiceKey> {
  return toServiceKey(await ctx.pool.withConnection((sql) => mustGet(sql, id)));
}

const COLUMN_OF: Record<keyof PatchInput, string> = {
  name: 'name', description: 'description', scopes: 'scopes', enabled: 'enabled',
  rateLimitPerMinute: 'rate_limit_per_minute', rateLimitPerHour: 'rate_limit_per_hour',
};

function revokedConflict(): AppError {
  return new AppError('CONFLICT', { message: 'This service key is revoked; a revoked key cannot be enabled or disabled' });
}

export function patchKey(ctx: AdminContext, id: string, patch: PatchInput): Promise<ServiceKey> {
  return change(ctx, async (sql, audit) => {
    const before = await mustGet(sql, id, true);
    if (patch.enabled !== undefined && before.revoked_at !== null) throw revokedConflict();
    const values: Record<string, KeyColumnValue> = {};
    for (const [field, value] of Object.entries(patch) as [keyof PatchInput, KeyColumnValue][]) values[COLUMN_OF[field]] = value;
    const row = (await updateKey(sql, id, values))!;
    const onlyEnabled = Object.keys(patch).length === 1 && patch.enabled !== undefined;
    const action: AuditAction = onlyEnabled ? (patch.enabled ? 'enable' : 'disable') : 'update';
    await audit(id, action, { changes: values });
    return toServiceKey(row);
  });
}

export function setEnabled(ctx: AdminContext, id: string, enabled: boolean): Promise<ServiceKey> {
  return patchKey(ctx, id, { enabled });
}

export function removeKey(ctx: AdminContext, id: string): Promise<void> {
  return change(ctx, async (sql, audit) => {
    const row = await deleteKey(sql, id);
    if (!row) throw keyNotFound();
    await audit(id, 'delete', { name: row.name, key_prefix: row.key_prefix });
  });
}
