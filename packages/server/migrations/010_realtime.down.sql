-- Reverts 010_realtime: the capture triggers on user tables (dropped with their function
-- by cascade), the registry and the side table (their grants and indexes go with them).
drop function if exists realtime.capture_change() cascade;
drop table if exists realtime.change_payloads;
drop table if exists realtime.schema_registry;
revoke usage on schema realtime from fluxbase_authenticator;
