-- Webhook delivery rows no longer carry a foreign key to their webhook (bench/README.md
-- "Webhooks", W2). queue_event writes a delivery row in the writer's transaction, and the
-- key's check locked the webhook's row for every change (FOR KEY SHARE: a tuple lock written
-- to the heap and the WAL), ~0.04 ms on a 0.27 ms single-row INSERT. Deleting a webhook
-- deletes its deliveries itself (store.ts deleteWebhook); a delivery queued by a transaction
-- that commits after that delete is never claimed (the claim joins webhooks.webhooks) and the
-- retention sweep removes it (store.ts deleteOldDeliveries).
alter table webhooks.deliveries drop constraint if exists deliveries_webhook_id_fkey;
