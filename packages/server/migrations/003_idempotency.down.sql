-- Reverts 003_idempotency: the table (its grants and index go with it).
drop table if exists fluxbase.idempotency_keys;
