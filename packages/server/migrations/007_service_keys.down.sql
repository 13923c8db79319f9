-- Reverts 007_service_keys: the tables (their grants and indexes go with them).
drop table if exists auth.service_role_revocations;
drop table if exists auth.service_key_audit;
drop table if exists auth.service_key_revocations;
drop table if exists auth.service_keys;
