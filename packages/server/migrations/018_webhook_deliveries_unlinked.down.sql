-- Reverts 018_webhook_deliveries_unlinked: orphaned deliveries go, the key comes back.
delete from webhooks.deliveries d where not exists (select 1 from webhooks.webhooks w where w.id = d.webhook_id);
alter table webhooks.deliveries add constraint deliveries_webhook_id_fkey foreign key (webhook_id) references webhooks.webhooks (id) on delete cascade;
