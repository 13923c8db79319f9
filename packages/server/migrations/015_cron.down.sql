-- Reverts 015_cron.
drop table if exists jobs.cron_runs;
drop table if exists jobs.cron_state;
