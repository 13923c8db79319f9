-- Idempotency keys (API.md §5.6): one row per (principal scope, key). A request claims
-- its key as `processing` (lock_id identifies the claim), then the stored response makes
-- it `completed` until expires_at. Only the authenticator, outside any user transaction,
-- touches this table; the request roles have no access.
create table fluxbase.idempotency_keys (
  scope text not null,
  key text not null check (length(key) between 1 and 256),
  method text not null,
  path text not null,
  body_hash bytea not null,
  state text not null check (state in ('processing', 'completed')),
  lock_id uuid not null,
  status integer,
  headers jsonb,
  body bytea,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (scope, key),
  check (state = 'processing' or status is not null)
);

-- The hourly cleanup deletes by expiry.
create index idempotency_keys_expires_at on fluxbase.idempotency_keys (expires_at);

-- Granted directly: the authenticator is NOINHERIT and the store runs before any role switch.
grant select, insert, update, delete on fluxbase.idempotency_keys to fluxbase_authenticator;
