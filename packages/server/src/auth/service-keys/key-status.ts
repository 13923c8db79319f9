// A stored key's row, its status on the wire (docs/auth.md "Other routes") and why a request
// presenting it is refused. Status and refusal share one reading of the row, so a key
// listed as `active` is exactly a key that works.

/** A row of auth.service_keys (without the hash). */
export interface ServiceKeyRow {
  id: string;
  name: string;
  description: string | null;
  key_prefix: string;
  scopes: string[];
  enabled: boolean;
  rate_limit_per_minute: number | null;
  rate_limit_per_hour: number | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  deprecated_at: Date | null;
  grace_period_ends_at: Date | null;
  replaced_by: string | null;
  revoked_at: Date | null;
  revocation_reason: string | null;
}

export type KeyStatus = 'active' | 'deprecated' | 'revoked' | 'expired' | 'disabled';

/** `details.reason` of 401 INVALID_API_KEY (docs/auth.md "Revocation"). */
export type RefusalReason = 'revoked' | 'expired' | 'grace_period_ended' | 'disabled';

type StatusFields = Pick<ServiceKeyRow, 'enabled' | 'expires_at' | 'deprecated_at' | 'grace_period_ends_at' | 'revoked_at'>;

/** Why the key cannot be used at `now`, or null when it can. Terminal states first. */
export function refusalReason(row: StatusFields, now: number = Date.now()): RefusalReason | null {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at !== null && row.expires_at.getTime() <= now) return 'expired';
  if (row.deprecated_at !== null && row.grace_period_ends_at !== null && row.grace_period_ends_at.getTime() <= now) return 'grace_period_ended';
  if (!row.enabled) return 'disabled';
  return null;
}

export function statusOf(row: StatusFields, now: number = Date.now()): KeyStatus {
  switch (refusalReason(row, now)) {
    case 'revoked': return 'revoked';
    case 'expired':
    case 'grace_period_ended': return 'expired';
    case 'disabled': return 'disabled';
    case null: return row.deprecated_at !== null ? 'deprecated' : 'active';
  }
}

export interface ServiceKey {
  id: string;
  name: string;
  description: string | null;
  key_prefix: string;
  scopes: string[];
  enabled: boolean;
  status: KeyStatus;
  rate_limit_per_minute: number | null;
  rate_limit_per_hour: number | null;
  created_by: string | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  deprecated_at: string | null;
  grace_period_ends_at: string | null;
  replaced_by: string | null;
  revoked_at: string | null;
  revocation_reason: string | null;
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** The wire shape; never the hash, and the plaintext only on create/rotate (added there). */
export function toServiceKey(row: ServiceKeyRow, now: number = Date.now()): ServiceKey {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    key_prefix: row.key_prefix,
    scopes: row.scopes,
    enabled: row.enabled,
    status: statusOf(row, now),
    rate_limit_per_minute: row.rate_limit_per_minute,
    rate_limit_per_hour: row.rate_limit_per_hour,
    created_by: row.created_by,
    created_at: row.created_at.toISOString(),
    last_used_at: iso(row.last_used_at),
    expires_at: iso(row.expires_at),
    deprecated_at: iso(row.deprecated_at),
    grace_period_ends_at: iso(row.grace_period_ends_at),
    replaced_by: row.replaced_by,
    revoked_at: iso(row.revoked_at),
    revocation_reason: row.revocation_reason,
  };
}
