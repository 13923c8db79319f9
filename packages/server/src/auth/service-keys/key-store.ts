// SQL for auth.service_keys and its history tables. Every function takes the connection
// (or transaction) to run on; values are always parameters. NOTIFY on CHANNEL tells
// every instance to drop its cached keys (payload: a key id, or `service_role`).
import type { ReservedSql, Sql } from '../../db/index.ts';
import type { ServiceKeyRow } from './key-status.ts';

export const CHANNEL = 'fluxbase_service_keys';
export const SERVICE_ROLE_PAYLOAD = 'service_role';

const COLUMNS = [
  'id', 'name', 'description', 'key_prefix', 'scopes', 'enabled', 'rate_limit_per_minute', 'rate_limit_per_hour',
  'created_by', 'created_at', 'updated_at', 'last_used_at', 'expires_at', 'deprecated_at', 'grace_period_ends_at',
  'replaced_by', 'revoked_at', 'revocation_reason',
] as const;

/** Values updateKey writes (validated before): text, text[], integers, booleans, times, NULL. */
export type KeyColumnValue = string | string[] | number | boolean | Date | null;

export type RowWithHash = ServiceKeyRow & { key_hash: Buffer };

export interface InsertKey {
  name: string;
  description: string | null;
  prefix: string;
  hash: Buffer;
  scopes: string[];
  rateLimitPerMinute: number | null;
  rateLimitPerHour: number | null;
  expiresAt: Date | null;
  createdBy: string;
}

export type AuditAction = 'create' | 'update' | 'enable' | 'disable' | 'delete' | 'revoke' | 'deprecate' | 'rotate';
export type RevocationType = 'emergency' | 'rotation' | 'expiration';

export interface Revocation {
  id: string;
  key_id: string;
  key_prefix: string;
  revoked_by: string | null;
  reason: string | null;
  revocation_type: RevocationType;
  created_at: string;
}

export function findByPrefix(sql: ReservedSql, prefix: string): Promise<RowWithHash[]> {
  return sql<RowWithHash[]>`select ${sql([...COLUMNS, 'key_hash'])} from auth.service_keys where key_prefix = ${prefix}`;
}

export async function insertKey(sql: ReservedSql, k: InsertKey): Promise<ServiceKeyRow> {
  const [row] = await sql<ServiceKeyRow[]>`
    insert into auth.service_keys (name, description, key_prefix, key_hash, scopes, rate_limit_per_minute, rate_limit_per_hour, expires_at, created_by)
    values (${k.name}, ${k.description}, ${k.prefix}, ${k.hash}, ${k.scopes}::text[], ${k.rateLimitPerMinute}, ${k.rateLimitPerHour}, ${k.expiresAt}, ${k.createdBy})
    returning ${sql([...COLUMNS])}`;
  return row!;
}

export function listKeys(sql: ReservedSql): Promise<ServiceKeyRow[]> {
  return sql<ServiceKeyRow[]>`select ${sql([...COLUMNS])} from auth.service_keys order by created_at desc, id`;
}

/** `forUpdate` locks the row for the rest of the transaction (state changes check, then write). */
export async function getKey(sql: ReservedSql, id: string, forUpdate = false): Promise<ServiceKeyRow | undefined> {
  const rows = forUpdate
    ? await sql<ServiceKeyRow[]>`select ${sql([...COLUMNS])} from auth.service_keys where id = ${id} for update`
    : await sql<ServiceKeyRow[]>`select ${sql([...COLUMNS])} from auth.service_keys where id = ${id}`;
  return rows[0];
}

/** Column values by name (already validated); sets updated_at. */
export async function updateKey(sql: ReservedSql, id: string, values: Record<string, KeyColumnValue>): Promise<ServiceKeyRow | undefined> {
  const set: Record<string, KeyColumnValue> = { ...values, updated_at: new Date() };
  const [row] = await sql<ServiceKeyRow[]>`
    update auth.service_keys set ${sql(set, Object.keys(set))} where id = ${id} returning ${sql([...COLUMNS])}`;
  return row;
}

export async function deleteKey(sql: ReservedSql, id: string): Promise<ServiceKeyRow | undefined> {
  const [row] = await sql<ServiceKeyRow[]>`delete from auth.service_keys where id = ${id} returning ${sql([...COLUMNS])}`;
  return row;
}

export async function revokeKey(sql: ReservedSql, id: string, reason: string): Promise<ServiceKeyRow | undefined> {
  const [row] = await sql<ServiceKeyRow[]>`
    update auth.service_keys set revoked_at = now(), revocation_reason = ${reason}, updated_at = now()
    where id = ${id} and revoked_at is null returning ${sql([...COLUMNS])}`;
  return row;
}

/** Start the grace period; `replacedBy` links a rotated key to its successor. */
export async function deprecateKey(sql: ReservedSql, id: string, graceHours: number, replacedBy: string | null): Promise<ServiceKeyRow | undefined> {
  const [row] = await sql<ServiceKeyRow[]>`
    update auth.service_keys
    set deprecated_at = now(), grace_period_ends_at = now() + make_interval(hours => ${graceHours}::int),
        replaced_by = coalesce(${replacedBy}::uuid, replaced_by), updated_at = now()
    where id = ${id} and revoked_at is null and deprecated_at is null returning ${sql([...COLUMNS])}`;
  return row;
}

export async function insertRevocation(sql: ReservedSql, row: ServiceKeyRow, type: RevocationType, reason: string, by: string): Promise<void> {
  await sql`
    insert into auth.service_key_revocations (key_id, key_prefix, revoked_by, reason, revocation_type)
    values (${row.id}, ${row.key_prefix}, ${by}, ${reason}, ${type})`;
}

export async function listRevocations(sql: ReservedSql, keyId: string): Promise<Revocation[]> {
  const rows = await sql<(Omit<Revocation, 'created_at'> & { created_at: Date })[]>`
    select id, key_id, key_prefix, revoked_by, reason, revocation_type, created_at
    from auth.service_key_revocations where key_id = ${keyId} order by created_at desc, id`;
  return rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() }));
}

export async function insertAudit(
  sql: ReservedSql, keyId: string | null, action: AuditAction, actor: string, ip: string | null, details: Record<string, unknown>,
): Promise<void> {
  await sql`
    insert into auth.service_key_audit (key_id, action, actor, details, ip)
    values (${keyId}, ${action}, ${actor}, ${sql.json(details as Parameters<typeof sql.json>[0])}, ${ip}::inet)`;
}

/** Delivered at commit when run inside the transaction that made the change. */
export async function notifyChange(sql: ReservedSql, payload: string): Promise<void> {
  await sql`select pg_notify(${CHANNEL}, ${payload})`;
}

/** Only when the stored value is over a minute old: concurrent instances do not pile up writes. */
export async function touchLastUsed(sql: ReservedSql, id: string): Promise<void> {
  await sql`
    update auth.service_keys set last_used_at = now()
    where id = ${id} and (last_used_at is null or last_used_at < now() - interval '1 minute')`;
}

/** Record a service-role JWT revocation; every service-role JWT with `iat` before the returned time is refused. */
export async function insertServiceRoleRevocation(sql: ReservedSql, reason: string, by: string): Promise<Date> {
  // Whole seconds (`iat` has no fraction), rounded up: a token issued in the current second is refused too.
  const [row] = await sql<{ revoked_before: Date }[]>`
    insert into auth.service_role_revocations (revoked_before, reason, revoked_by)
    values (date_trunc('second', now()) + interval '1 second', ${reason}, ${by})
    returning revoked_before`;
  return row!.revoked_before;
}

export async function latestServiceRoleRevocation(sql: ReservedSql | Sql): Promise<Date | null> {
  const [row] = await sql<{ before: Date | null }[]>`select max(revoked_before) as before from auth.service_role_revocations`;
  return row?.before ?? null;
}
