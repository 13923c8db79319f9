-- Tracing (docs/tracing.md): the W3C traceparent of the request that submitted a job, so
-- its execution span joins the submitter's trace. Null when tracing was off at submit time.
alter table jobs.queue add column traceparent text check (traceparent is null or length(traceparent) <= 128);
