-- The project's own migrations (docs/migrations.md): SQL files in the project's
-- migrations folder (`migrations.dir`, default ./fluxbase/migrations), applied in order on
-- start and by `fluxbase db migrate`, recorded here apart from Fluxbase's own
-- (fluxbase.schema_migrations). Only the owner role touches this table.
create table fluxbase.user_migrations (
  version bigint primary key,
  name text not null,
  checksum text not null,
  applied_at timestamptz not null default now(),
  execution_ms integer not null default 0
);
