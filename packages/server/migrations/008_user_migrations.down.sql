-- Reverts 008_user_migrations: the record of applied project migrations (not what they created).
drop table if exists fluxbase.user_migrations;
