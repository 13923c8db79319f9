-- Edge functions (docs/functions.md): the deployed functions (current version inline, every
-- version kept in edge_function_versions), their execution log, and the secrets handed to
-- them as FLUXBASE_SECRET_<NAME>, sealed with encryption_key (AES-256-GCM, like the auth
-- secrets; `fluxbase encryption-key rotate` re-seals them). The server reads and writes these
-- tables as the authenticator; requests never see them (no grants to anon/authenticated).

create table functions.edge_functions (
  id uuid primary key default gen_random_uuid(),
  namespace text not null default 'default',
  name text not null,
  description text,
  code text not null,
  is_bundled boolean not null default false,
  version integer not null default 1,
  enabled boolean not null default true,
  timeout_seconds integer not null,
  memory_limit_mb integer not null,
  allow_net boolean not null default true,
  allow_net_hosts text[],
  -- true, false, or a list of server environment variable names passed through.
  allow_env jsonb not null default 'false',
  allow_read boolean not null default false,
  allow_write boolean not null default false,
  allow_unauthenticated boolean not null default false,
  cors_origins text[],
  cors_methods text[],
  cors_headers text[],
  cors_credentials boolean,
  cors_max_age integer,
  rate_limit_per_minute integer,
  rate_limit_per_hour integer,
  rate_limit_per_day integer,
  cron_schedule text,
  source text not null default 'api' check (source in ('api', 'filesystem')),
  created_by text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (namespace, name)
);

-- One row per deploy: the code and the settings it ran with, for audit and rollback.
create table functions.edge_function_versions (
  function_id uuid not null references functions.edge_functions (id) on delete cascade,
  version integer not null,
  code text not null,
  settings jsonb not null,
  created_by text,
  created_at timestamptz not null default now(),
  primary key (function_id, version)
);

create table functions.edge_executions (
  id uuid primary key,
  function_id uuid not null references functions.edge_functions (id) on delete cascade,
  version integer not null,
  trigger_type text not null default 'http' check (trigger_type in ('http', 'cron')),
  status text not null check (status in ('success', 'error', 'timeout')),
  status_code integer,
  error_message text,
  -- Captured console output, kept bounded by the server (docs/functions.md "Logs").
  logs text,
  duration_ms integer not null,
  started_at timestamptz not null,
  completed_at timestamptz not null default now()
);
create index edge_executions_by_function on functions.edge_executions (function_id, started_at desc);
create index edge_executions_started_at on functions.edge_executions (started_at);

create table functions.secrets (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  scope text not null default 'global' check (scope in ('global', 'namespace')),
  namespace text,
  value_enc text not null,
  description text,
  expires_at timestamptz,
  created_by text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((scope = 'global') = (namespace is null))
);
create unique index secrets_name_scope on functions.secrets (name, scope, coalesce(namespace, ''));

grant usage on schema functions to fluxbase_authenticator;
grant select, insert, update, delete on functions.edge_functions, functions.edge_function_versions,
  functions.edge_executions, functions.secrets to fluxbase_authenticator;
