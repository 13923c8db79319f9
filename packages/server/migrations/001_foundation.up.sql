-- Foundation: internal schemas, the request roles, the authenticator the pool logs in
-- as, Supabase-compatible auth helpers, and default grants for user tables in public.

create schema if not exists auth;
create schema if not exists storage;
create schema if not exists functions;
create schema if not exists jobs;
create schema if not exists realtime;
create schema if not exists webhooks;
create schema if not exists fluxbase;

-- Roles are cluster-wide: create them only when missing (another database in the same
-- cluster may have created them already).
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  -- The pool logs in as this role. NOINHERIT: it holds no privileges of its own and
  -- acts only after `set_config('role', …)` switches to one of the three roles.
  if not exists (select 1 from pg_roles where rolname = 'fluxbase_authenticator') then
    create role fluxbase_authenticator login noinherit;
  end if;
exception when duplicate_object or unique_violation then
  null; -- created concurrently by another database's migration
end
$$;

grant anon, authenticated, service_role to fluxbase_authenticator;

-- Let the authenticator connect and see the migration state (for /ready), nothing more.
do $$ begin
  execute format('grant connect on database %I to fluxbase_authenticator', current_database());
end $$;
grant usage on schema fluxbase to fluxbase_authenticator;
grant select on fluxbase.schema_migrations to fluxbase_authenticator;

-- Claims helpers (Supabase-compatible). The GUCs are set per transaction by db/context.
create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;

create or replace function auth.uid() returns uuid
language sql stable
as $$
  select case when s ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then s::uuid end
  from (select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                        auth.jwt() ->> 'sub') as s) as claim
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), auth.jwt() ->> 'role')
$$;

-- Upstream Fluxbase helpers.
create or replace function auth.current_user_id() returns uuid
language sql stable
as $$ select auth.uid() $$;

create or replace function auth.current_user_role() returns text
language sql stable
as $$ select auth.jwt() ->> 'user_role' $$;

create or replace function auth.is_authenticated() returns boolean
language sql stable
as $$ select auth.uid() is not null and auth.role() = 'authenticated' $$;

create or replace function auth.is_admin() returns boolean
language sql stable
as $$ select auth.role() = 'service_role' or coalesce(auth.jwt() ->> 'user_role', '') = 'admin' $$;

grant usage on schema auth to anon, authenticated, service_role;
grant execute on function auth.jwt(), auth.uid(), auth.role(), auth.current_user_id(),
  auth.current_user_role(), auth.is_authenticated(), auth.is_admin()
  to anon, authenticated, service_role;

-- Internal schemas are usable by the service role; policies and grants on their tables
-- come with the subsystems that own them.
grant usage on schema storage, functions, jobs, realtime, webhooks to service_role;

-- User tables in public: whatever the owner (the migrating role) creates there is
-- reachable by the request roles; Row Level Security decides which rows.
grant usage on schema public to anon, authenticated, service_role;
grant all on all tables in schema public to anon, authenticated, service_role;
grant all on all sequences in schema public to anon, authenticated, service_role;
grant all on all routines in schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on routines to anon, authenticated, service_role;
-- Tables created by the service role (admin SQL, DDL API) get the same grants. This needs
-- membership in service_role, which a non-superuser owner on a managed database may lack.
do $$ begin
  alter default privileges for role service_role in schema public grant all on tables to anon, authenticated, service_role;
  alter default privileges for role service_role in schema public grant all on sequences to anon, authenticated, service_role;
  alter default privileges for role service_role in schema public grant all on routines to anon, authenticated, service_role;
exception when insufficient_privilege then
  raise notice 'default privileges for service_role not set: % (grant service_role to the owner role to enable them)', sqlerrm;
end $$;
grant create on schema public to service_role;
