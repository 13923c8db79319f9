-- Sign-in emails requested by anonymous callers (magic link, email code, password reset)
-- are queued here and sent by a worker (auth/email/mail-requests.ts), so the request does
-- the same work whether or not the address has an account: no timing oracle for which
-- addresses exist. A row is leased while it is being sent (run_after moves ahead), deleted
-- once sent or dropped after five failed attempts. Only the authenticator touches it.
create table auth.mail_requests (
  id bigint generated always as identity primary key,
  kind text not null check (kind in ('magiclink', 'email_otp', 'recovery')),
  email text not null,
  redirect_to text,
  data jsonb not null default '{}',
  attempts integer not null default 0,
  run_after timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now()
);
create index mail_requests_due on auth.mail_requests (run_after);
grant select, insert, update, delete on auth.mail_requests to fluxbase_authenticator;
grant usage, select on all sequences in schema auth to fluxbase_authenticator;
