-- The webhook outbox (docs/webhooks.md "Delivery"; bench/README.md "Webhooks", W2). Until now
-- queue_event looked up the matching webhooks and wrote one delivery row per webhook in the
-- writer's transaction: a join of subscriptions and webhooks and a row with a random uuid key
-- and two more indexes, ~0.08 ms on a 0.27 ms single-row INSERT. Now the writer's transaction
-- only appends the change to webhooks.outbox (identity key, no other index) and notifies; the
-- delivery workers match it against the subscriptions and turn it into delivery rows (store.ts
-- fanOutEvents: delete from the outbox and insert the deliveries in one statement, so each
-- change becomes its deliveries exactly once, and SKIP LOCKED keeps instances apart). A
-- rolled-back write still queues nothing, and a committed one is in the outbox before COMMIT
-- returns, so it survives any restart.
create table webhooks.outbox (
  id bigint generated always as identity primary key,
  -- The delivery body: {id, event, schema, table, record, old_record?, timestamp}.
  payload jsonb not null
)
-- A queue: rows are inserted and deleted soon after, so vacuum often.
with (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- AFTER ROW trigger on every watched table (installed for the operations its webhooks
-- subscribe to). SECURITY DEFINER so any writer queues changes without rights on the outbox;
-- search_path is empty and every name qualified so a writer cannot redirect one. Identical
-- notifications of one transaction fold into one.
create or replace function webhooks.queue_event() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  payload jsonb := pg_catalog.jsonb_build_object(
    'id', pg_catalog.gen_random_uuid(), 'event', tg_op, 'schema', tg_table_schema, 'table', tg_table_name,
    'record', case when tg_op = 'DELETE' then pg_catalog.to_jsonb(old) else pg_catalog.to_jsonb(new) end,
    'timestamp', pg_catalog.to_char(pg_catalog.statement_timestamp() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'));
begin
  if tg_op = 'UPDATE' then
    payload := payload || pg_catalog.jsonb_build_object('old_record', pg_catalog.to_jsonb(old));
  end if;
  insert into webhooks.outbox (payload) values (payload);
  perform pg_catalog.pg_notify('fluxbase_webhooks', '');
  return null;
end
$$;
revoke execute on function webhooks.queue_event() from public;

-- SELECT … FOR UPDATE (the fan-out's SKIP LOCKED) needs UPDATE as well.
grant select, update, delete on webhooks.outbox to fluxbase_authenticator;
