-- Reverts 017_job_traceparent.
alter table jobs.queue drop column if exists traceparent;
