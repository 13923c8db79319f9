-- Reverts 001_foundation. Roles are cluster-wide and may serve other databases, so they
-- are left in place; this database's grants, helpers and schemas are removed.
alter default privileges in schema public revoke all on tables from anon, authenticated, service_role;
alter default privileges in schema public revoke all on sequences from anon, authenticated, service_role;
alter default privileges in schema public revoke all on routines from anon, authenticated, service_role;
do $$ begin
  alter default privileges for role service_role in schema public revoke all on tables from anon, authenticated, service_role;
  alter default privileges for role service_role in schema public revoke all on sequences from anon, authenticated, service_role;
  alter default privileges for role service_role in schema public revoke all on routines from anon, authenticated, service_role;
exception when insufficient_privilege then null;
end $$;
revoke create on schema public from service_role;
revoke usage on schema public from anon, authenticated, service_role;

drop function if exists auth.is_admin();
drop function if exists auth.is_authenticated();
drop function if exists auth.current_user_role();
drop function if exists auth.current_user_id();
drop function if exists auth.role();
drop function if exists auth.uid();
drop function if exists auth.jwt();

revoke select on fluxbase.schema_migrations from fluxbase_authenticator;
revoke usage on schema fluxbase from fluxbase_authenticator;
do $$ begin
  execute format('revoke connect on database %I from fluxbase_authenticator', current_database());
end $$;

drop schema if exists webhooks;
drop schema if exists realtime;
drop schema if exists jobs;
drop schema if exists functions;
drop schema if exists storage;
drop schema if exists auth;
