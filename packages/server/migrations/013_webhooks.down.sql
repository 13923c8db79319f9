-- Reverts 013_webhooks. Triggers the server installed on user tables call queue_event; they
-- go with it (cascade).
drop function if exists webhooks.queue_event() cascade;
drop table if exists webhooks.deliveries;
drop table if exists webhooks.subscriptions;
drop table if exists webhooks.webhooks;
revoke usage on schema webhooks from fluxbase_authenticator;
