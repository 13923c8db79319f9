-- Realtime change capture (docs/realtime.md "Enabling a table"): the registry of tables
-- enabled for realtime, the trigger function the admin API installs on them, and the side
-- table for changes too large for NOTIFY. The trigger sends the FULL rows: the server drops
-- excluded columns only after its RLS check, which may need them.

create table realtime.schema_registry (
  id bigserial primary key,
  schema_name text not null,
  table_name text not null,
  realtime_enabled boolean not null default true,
  events text[] not null default '{INSERT,UPDATE,DELETE}',
  excluded_columns text[] not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (schema_name, table_name)
);

-- NOTIFY payloads are limited to 8000 bytes. A larger change is stored here and the
-- notification carries its id; every instance reads it (so it is not deleted on read) and
-- the server deletes rows older than a few minutes by created_at.
create table realtime.change_payloads (
  id bigserial primary key,
  payload jsonb not null,
  created_at timestamptz not null default now()
);
create index change_payloads_created_at on realtime.change_payloads (created_at);

-- AFTER ROW trigger. Channel: one of 64 partitions chosen by the table's name, so one
-- table's changes always travel on one channel and keep their order (`& 63` also maps a
-- negative hash into 0..63). The optional trigger arguments name the table as it was
-- enabled: a trigger on a partitioned table fires on each partition, and the changes must
-- still be reported under the parent's name. SECURITY DEFINER so any writer (anon,
-- authenticated, service_role) can store a large payload without privileges on the side
-- table; search_path is empty and every function and table is qualified so a writer cannot
-- redirect one (operators resolve in pg_catalog, which is always searched first).
-- NOTIFY and the side row are transactional: a rolled-back write emits nothing.
create or replace function realtime.capture_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  schema_name text := coalesce(tg_argv[0], tg_table_schema);
  table_name text := coalesce(tg_argv[1], tg_table_name);
  channel text := 'fluxbase_realtime_' || (pg_catalog.hashtext(schema_name || '.' || table_name) & 63)::text;
  payload jsonb;
  body text;
  ref bigint;
begin
  payload := pg_catalog.jsonb_build_object(
    'schema', schema_name,
    'table', table_name,
    'type', tg_op,
    'commit_timestamp', pg_catalog.to_char(pg_catalog.statement_timestamp() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'record', case when tg_op = 'DELETE' then null else pg_catalog.to_jsonb(new) end);
  if tg_op <> 'INSERT' then
    payload := payload || pg_catalog.jsonb_build_object('old_record', pg_catalog.to_jsonb(old));
  end if;
  body := payload::text;
  -- 7900, not 8000: headroom below PostgreSQL's limit, so the user's write never fails on size.
  if pg_catalog.octet_length(body) > 7900 then
    insert into realtime.change_payloads (payload) values (payload) returning id into ref;
    body := pg_catalog.jsonb_build_object('ref', ref, 'schema', schema_name, 'table', table_name, 'type', tg_op)::text;
  end if;
  perform pg_catalog.pg_notify(channel, body);
  return null;
end
$$;

-- Triggers fire whatever the writer's privileges; only the owner (who installs the
-- triggers through the admin API or the CLI) needs to execute it.
revoke execute on function realtime.capture_change() from public;

-- The server reads the registry and the side table as the authenticator (NOINHERIT, so
-- granted directly) and deletes old side rows; admin work may also run as service_role.
grant usage on schema realtime to fluxbase_authenticator;
grant select on realtime.schema_registry to fluxbase_authenticator, service_role;
grant select, delete on realtime.change_payloads to fluxbase_authenticator, service_role;
