-- Webhooks (docs/webhooks.md): registrations with their secrets (sealed with encryption_key,
-- like the auth and function secrets), the tables each one watches, and the delivery outbox.
-- A trigger on each watched table writes one delivery row per matching webhook in the same
-- transaction as the change, so a rolled-back write sends nothing and a committed one
-- survives any restart; the server's delivery workers claim the rows. The server reads and
-- writes these tables as the authenticator; requests never see them.

create table webhooks.webhooks (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  description text,
  url text not null,
  -- [{table: "schema.table", operations: ["INSERT" | "UPDATE" | "DELETE" | "*"]}], as registered.
  events jsonb not null,
  enabled boolean not null default true,
  headers jsonb not null default '{}',
  timeout_seconds integer not null default 10,
  max_retries integer not null default 5,
  scope text not null default 'user' check (scope in ('user', 'global')),
  -- The creating user (null: the service role or an admin key). A user-scoped webhook only
  -- receives changes of rows that user owns (queue_event below).
  created_by uuid,
  secret_enc text not null,
  -- During a rotation's grace period the previous secret still signs (a second v1=).
  previous_secret_enc text,
  previous_secret_expires_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhooks_created_by on webhooks.webhooks (created_by);

-- What queue_event matches on: one row per webhook and table.
create table webhooks.subscriptions (
  webhook_id uuid not null references webhooks.webhooks (id) on delete cascade,
  schema_name text not null,
  table_name text not null,
  operations text[] not null,
  primary key (webhook_id, schema_name, table_name)
);
create index subscriptions_by_table on webhooks.subscriptions (schema_name, table_name);

-- One row per change and webhook, updated by each attempt. event_id (the payload's `id` and
-- the X-Fluxbase-Delivery header) is shared by the webhooks of one change and stable across
-- retries, so a receiver can drop a repeat.
create table webhooks.deliveries (
  id uuid primary key default gen_random_uuid(),
  webhook_id uuid not null references webhooks.webhooks (id) on delete cascade,
  event_id uuid not null,
  event text not null,
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'success', 'failed', 'dead')),
  status_code integer,
  response_body text,
  error text,
  attempt integer not null default 0,
  next_retry_at timestamptz not null default now(),
  -- Set while a worker holds the row; a worker that died leaves it to expire, and the row is
  -- claimed again (at least once).
  locked_until timestamptz,
  delivered_at timestamptz,
  created_at timestamptz not null default now()
)
-- A queue: every row is claimed (locked_until, a HOT update when the page has room) and
-- finished soon after, so vacuum often enough that claims do not wade through dead entries.
with (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
-- Only the indexes the claim and the log need: each one is written in the writer's
-- transaction (bench/README.md "Webhooks", W2). The hourly retention sweep scans the table.
create index deliveries_due on webhooks.deliveries (next_retry_at) where status in ('pending', 'failed');
create index deliveries_by_webhook on webhooks.deliveries (webhook_id, created_at desc);

-- AFTER ROW trigger on every watched table. The row's owner is its user_id, owner_id or
-- created_by column (auth.users: id). SECURITY DEFINER so any writer queues deliveries
-- without rights on these tables; search_path is empty and every name qualified so a writer
-- cannot redirect one. Identical notifications of one transaction fold into one.
create or replace function webhooks.queue_event() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  event_id uuid := pg_catalog.gen_random_uuid();
  rec jsonb := case when tg_op = 'DELETE' then pg_catalog.to_jsonb(old) else pg_catalog.to_jsonb(new) end;
  owner text := coalesce(rec->>'user_id', rec->>'owner_id', rec->>'created_by',
    case when tg_table_schema = 'auth' and tg_table_name = 'users' then rec->>'id' end);
  payload jsonb;
begin
  payload := pg_catalog.jsonb_build_object(
    'id', event_id, 'event', tg_op, 'schema', tg_table_schema, 'table', tg_table_name, 'record', rec,
    'timestamp', pg_catalog.to_char(pg_catalog.statement_timestamp() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'));
  if tg_op = 'UPDATE' then
    payload := payload || pg_catalog.jsonb_build_object('old_record', pg_catalog.to_jsonb(old));
  end if;
  insert into webhooks.deliveries (webhook_id, event_id, event, payload)
  select w.id, event_id, tg_op, payload
  from webhooks.subscriptions s join webhooks.webhooks w on w.id = s.webhook_id
  where s.schema_name = tg_table_schema and s.table_name = tg_table_name
    and (tg_op = any (s.operations) or '*' = any (s.operations))
    and w.enabled
    and (w.scope = 'global' or (owner is not null and owner = w.created_by::text));
  if found then
    perform pg_catalog.pg_notify('fluxbase_webhooks', '');
  end if;
  return null;
end
$$;
revoke execute on function webhooks.queue_event() from public;

grant usage on schema webhooks to fluxbase_authenticator;
grant select, insert, update, delete on webhooks.webhooks, webhooks.subscriptions, webhooks.deliveries to fluxbase_authenticator;
