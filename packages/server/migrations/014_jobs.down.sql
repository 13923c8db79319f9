-- Reverts 014_jobs.
drop table if exists jobs.job_logs;
drop table if exists jobs.queue;
drop table if exists jobs.workers;
drop table if exists jobs.job_functions;
revoke usage on schema jobs from fluxbase_authenticator;
