-- Jobs (API.md §11.2; docs/jobs.md, to come): job functions, the queue, the workers that claim
-- it, and each job's log lines. The queue is claimed with FOR UPDATE SKIP LOCKED in priority,
-- then schedule, order (jobs/queue-store.ts); statuses are exactly API.md's, `interrupted`
-- included (upstream's CHECK constraint rejected the status its own code wrote).

create table jobs.job_functions (
  id uuid primary key default gen_random_uuid(),
  namespace text not null default 'default',
  name text not null,
  description text,
  code text not null,
  version integer not null default 1,
  enabled boolean not null default true,
  schedule text,
  max_retries integer not null default 3 check (max_retries >= 0),
  timeout_seconds integer not null default 300 check (timeout_seconds > 0),
  progress_timeout_seconds integer check (progress_timeout_seconds > 0),
  memory_limit_mb integer not null default 256 check (memory_limit_mb > 0),
  allow_net boolean not null default true,
  allow_env text[] not null default '{}',
  allow_read boolean not null default false,
  allow_write boolean not null default false,
  require_roles text[],
  source text not null default 'api' check (source in ('api', 'filesystem')),
  created_by text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (namespace, name)
);

create table jobs.workers (
  id uuid primary key,
  hostname text not null,
  pid integer not null,
  status text not null default 'active' check (status in ('active', 'draining', 'stopped')),
  capacity integer not null,
  started_at timestamptz not null default now(),
  last_heartbeat_at timestamptz not null default now(),
  stopped_at timestamptz
);

create table jobs.queue (
  id uuid primary key default gen_random_uuid(),
  namespace text not null default 'default',
  job_function_id uuid references jobs.job_functions (id) on delete set null,
  job_name text not null,
  -- What runs it: a job function's code (Deno), an asynchronous RPC call (API.md §6) or a
  -- scheduled edge function (cron_schedule).
  kind text not null default 'job' check (kind in ('job', 'rpc', 'function')),
  status text not null default 'pending'
    check (status in ('pending', 'running', 'completed', 'failed', 'cancelled', 'interrupted')),
  payload jsonb,
  result jsonb,
  progress jsonb,
  progress_percent integer check (progress_percent between 0 and 100),
  progress_message text,
  progress_data jsonb,
  priority integer not null default 0,
  max_retries integer not null check (max_retries >= 0),
  retry_count integer not null default 0 check (retry_count >= 0),
  max_duration_seconds integer not null check (max_duration_seconds > 0),
  error_message text,
  worker_id uuid,
  created_by uuid,
  user_role text,
  -- Set by a cancel from any instance; the worker running the job sees it and stops it.
  cancel_requested_at timestamptz,
  created_at timestamptz not null default now(),
  scheduled_at timestamptz not null default now(),
  started_at timestamptz,
  last_progress_at timestamptz,
  completed_at timestamptz
)
-- Every job is claimed and finished soon after: keep dead index entries few (webhooks do the same).
with (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
-- The claim's order: highest priority first, then the earliest due.
create index queue_claimable on jobs.queue (priority desc, scheduled_at) where status in ('pending', 'interrupted');
create index queue_running_by_worker on jobs.queue (worker_id) where status = 'running';
create index queue_by_creator on jobs.queue (created_by, created_at desc);

create table jobs.job_logs (
  job_id uuid not null references jobs.queue (id) on delete cascade,
  line_number integer not null,
  level text not null default 'info',
  message text not null,
  created_at timestamptz not null default now(),
  primary key (job_id, line_number)
);

-- Visibility is the creator's (API.md §16 item 5): the server's statements filter by creator;
-- RLS is on and forced so no role but the server's own login reads these rows, whatever grant
-- a table ever gets.
alter table jobs.queue enable row level security;
alter table jobs.queue force row level security;
create policy queue_server on jobs.queue for all to fluxbase_authenticator using (true) with check (true);
alter table jobs.job_logs enable row level security;
alter table jobs.job_logs force row level security;
create policy job_logs_server on jobs.job_logs for all to fluxbase_authenticator using (true) with check (true);

grant usage on schema jobs to fluxbase_authenticator;
grant select, insert, update, delete on jobs.job_functions, jobs.workers, jobs.queue, jobs.job_logs to fluxbase_authenticator;
