-- Stored service keys `sk_…` (API.md §7.2): only the SHA-256 of a key is kept, found by
-- its first 16 characters. Rotation, deprecation and revocation history, an audit row per
-- management action, and service-role JWT revocations (every service-role JWT whose `iat`
-- is before `revoked_before` is refused). Only the authenticator touches these tables.

create table auth.service_keys (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  description text,
  -- `sk_` + the first 13 characters of the random part: not secret, only for lookup.
  key_prefix char(16) not null,
  key_hash bytea not null unique check (length(key_hash) = 32),
  scopes text[] not null default '{*}',
  enabled boolean not null default true,
  rate_limit_per_minute integer check (rate_limit_per_minute > 0),
  rate_limit_per_hour integer check (rate_limit_per_hour > 0),
  -- The acting principal: 'service_role' or 'user:<uuid>'.
  created_by text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Written at most once a minute per key (not on every request).
  last_used_at timestamptz,
  expires_at timestamptz,
  -- A deprecated key works until grace_period_ends_at, then is refused.
  deprecated_at timestamptz,
  grace_period_ends_at timestamptz,
  replaced_by uuid references auth.service_keys (id) on delete set null,
  revoked_at timestamptz,
  revocation_reason text
);
create index service_keys_prefix on auth.service_keys (key_prefix);
create index service_keys_created_at on auth.service_keys (created_at desc);

-- Kept when a key is deleted (no foreign key): the history outlives the key.
create table auth.service_key_revocations (
  id uuid primary key default gen_random_uuid(),
  key_id uuid not null,
  key_prefix char(16) not null,
  revoked_by text,
  reason text,
  revocation_type text not null check (revocation_type in ('emergency', 'rotation', 'expiration')),
  created_at timestamptz not null default now()
);
create index service_key_revocations_key on auth.service_key_revocations (key_id, created_at desc);

create table auth.service_key_audit (
  id bigint generated always as identity primary key,
  key_id uuid,
  action text not null check (action in ('create', 'update', 'enable', 'disable', 'delete', 'revoke', 'deprecate', 'rotate')),
  actor text,
  details jsonb not null default '{}',
  ip inet,
  created_at timestamptz not null default now()
);
create index service_key_audit_key on auth.service_key_audit (key_id, created_at desc);

create table auth.service_role_revocations (
  id uuid primary key default gen_random_uuid(),
  revoked_before timestamptz not null,
  reason text not null,
  revoked_by text,
  created_at timestamptz not null default now()
);
create index service_role_revocations_before on auth.service_role_revocations (revoked_before desc);

grant select, insert, update, delete on auth.service_keys, auth.service_key_revocations,
  auth.service_key_audit, auth.service_role_revocations to fluxbase_authenticator;
grant usage, select on all sequences in schema auth to fluxbase_authenticator;
