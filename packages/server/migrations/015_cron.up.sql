-- Cron (issue 14 item 5; jobs/cron-scheduler.ts): where each schedule has got to, and which
-- occurrences were fired. One instance fires (the leader, by advisory lock; jobs/leader.ts),
-- but exactly-once does not rest on that: an occurrence is fired in the transaction that
-- inserts its (schedule_key, fire_at) row here and moves last_fire_at past it, so two
-- instances that both think they lead still fire it once, and a crash in between loses nothing.

-- One row per schedule the leader knows (`job:<namespace>/<name>`, `function:<namespace>/<name>`).
-- A schedule seen for the first time starts at the leader's clock (no backfill); one that is
-- no longer listed loses its row, so adding it back starts afresh rather than catching up.
create table jobs.cron_state (
  schedule_key text primary key,
  -- The expression last seen, for operators; a change keeps last_fire_at.
  expression text not null,
  last_fire_at timestamptz not null,
  updated_at timestamptz not null default now()
);

-- The occurrences fired (the once-only key), pruned by the leader after a week.
create table jobs.cron_runs (
  schedule_key text not null,
  fire_at timestamptz not null,
  fired_at timestamptz not null default now(),
  primary key (schedule_key, fire_at)
);
create index cron_runs_by_fire_at on jobs.cron_runs (fire_at);

grant select, insert, update, delete on jobs.cron_state, jobs.cron_runs to fluxbase_authenticator;
