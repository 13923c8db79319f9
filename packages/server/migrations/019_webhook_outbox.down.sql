-- Reverts 019_webhook_outbox: changes still in the outbox become delivery rows (matched as
-- the workers match them), and queue_event writes delivery rows itself again.
insert into webhooks.deliveries (webhook_id, event_id, event, payload, created_at)
select w.id, (o.payload->>'id')::uuid, o.payload->>'event', o.payload, (o.payload->>'timestamp')::timestamptz
from webhooks.outbox o
join webhooks.subscriptions s on s.schema_name = o.payload->>'schema' and s.table_name = o.payload->>'table'
join webhooks.webhooks w on w.id = s.webhook_id
where (o.payload->>'event' = any (s.operations) or '*' = any (s.operations)) and w.enabled
  and (w.scope = 'global' or coalesce(o.payload->'record'->>'user_id', o.payload->'record'->>'owner_id', o.payload->'record'->>'created_by',
    case when o.payload->>'schema' = 'auth' and o.payload->>'table' = 'users' then o.payload->'record'->>'id' end) = w.created_by::text);
drop table webhooks.outbox;

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
