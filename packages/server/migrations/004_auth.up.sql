-- Auth core (API.md §8): users, sessions with rotating refresh tokens, per-email sign-in
-- lockout, one-time tokens for email flows, the development mail outbox and pending
-- second-factor challenges. Only the authenticator (outside any request role) touches
-- these tables; the request roles see none of them, except service_role on auth.users
-- (admin SQL and policies written by operators).

create table auth.users (
  id uuid primary key default gen_random_uuid(),
  -- Normalised (NFC, trimmed, lower case); NULL for anonymous users.
  email text unique check (email is null or (length(email) between 3 and 254 and email = lower(email))),
  -- argon2id PHC string, or a legacy bcrypt hash rehashed on the next sign-in; NULL: no password.
  encrypted_password text,
  email_verified boolean not null default false,
  email_verified_at timestamptz,
  role text not null default 'authenticated' check (role ~ '^[a-z_][a-z0-9_]{0,62}$'),
  user_metadata jsonb not null default '{}' check (jsonb_typeof(user_metadata) = 'object'),
  app_metadata jsonb not null default '{}' check (jsonb_typeof(app_metadata) = 'object'),
  is_anonymous boolean not null default false,
  -- Pending email change, confirmed through a token sent to the new address.
  new_email text,
  banned_until timestamptz,
  totp_enabled boolean not null default false,
  last_sign_in_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index users_created_at on auth.users (created_at desc);

-- Failed password sign-ins per email address, kept whether or not the account exists
-- so that the answer never tells them apart.
create table auth.login_attempts (
  email text primary key,
  failed_count integer not null default 0,
  last_failed_at timestamptz,
  locked_until timestamptz
);

-- A session is one sign-in; its refresh tokens form the family that rotates on each
-- refresh. `id` is the `session_id` claim of every access token of the family.
create table auth.sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  aal text not null default 'aal1' check (aal in ('aal1', 'aal2')),
  amr jsonb not null default '[]',
  user_agent text,
  ip inet,
  created_at timestamptz not null default now(),
  refreshed_at timestamptz,
  -- Refresh tokens stop working after this (auth.refresh_expiry after the last refresh).
  expires_at timestamptz not null,
  revoked_at timestamptz,
  revoked_reason text
);
create index sessions_user_live on auth.sessions (user_id) where revoked_at is null;

create table auth.refresh_tokens (
  id bigint generated always as identity primary key,
  session_id uuid not null references auth.sessions (id) on delete cascade,
  -- SHA-256 of the opaque token; the token itself is never stored.
  token_hash bytea not null unique,
  parent_id bigint references auth.refresh_tokens (id) on delete cascade,
  -- Set when the token is rotated; a rotated token replayed outside the reuse interval
  -- revokes the whole session.
  rotated_at timestamptz,
  -- The child issued at rotation, AES-256-GCM encrypted, so that a replay of this token
  -- within auth.refresh_reuse_interval (concurrent refreshes) gets the same child.
  child_token_enc text,
  created_at timestamptz not null default now()
);
create index refresh_tokens_session on auth.refresh_tokens (session_id);

-- Magic links, email OTP codes, password reset, email verification, reauthentication
-- nonces and email-change confirmations: stored hashed, single use, expiring.
create table auth.one_time_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete cascade,
  email text not null,
  purpose text not null check (purpose in
    ('magiclink', 'email_otp', 'recovery', 'email_verification', 'reauthentication', 'email_change')),
  token_hash bytea not null,
  attempts integer not null default 0,
  redirect_to text,
  data jsonb not null default '{}',
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  consumed_at timestamptz
);
create index one_time_tokens_hash on auth.one_time_tokens (token_hash);
create index one_time_tokens_email on auth.one_time_tokens (email, purpose, created_at desc);
create index one_time_tokens_expires on auth.one_time_tokens (expires_at);

-- The development mailer: messages land here (and in the log) when no SMTP server is set.
create table auth.mail_outbox (
  id bigint generated always as identity primary key,
  to_address text not null,
  subject text not null,
  text_body text not null,
  html_body text not null,
  created_at timestamptz not null default now()
);
create index mail_outbox_to on auth.mail_outbox (to_address, id desc);

-- A first factor succeeded for a user with TOTP on (or a session asked for step-up):
-- /2fa/verify consumes the challenge. session_id is set for step-up challenges only.
create table auth.mfa_challenges (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  token_hash bytea not null unique,
  session_id uuid references auth.sessions (id) on delete cascade,
  -- The first factor's method (password, magiclink, otp, oauth, recovery, …).
  method text not null,
  ip inet,
  user_agent text,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  consumed_at timestamptz
);
create index mfa_challenges_user on auth.mfa_challenges (user_id, created_at desc);

grant select, insert, update, delete on auth.users, auth.login_attempts, auth.sessions,
  auth.refresh_tokens, auth.one_time_tokens, auth.mail_outbox, auth.mfa_challenges
  to fluxbase_authenticator;
grant usage on schema auth to fluxbase_authenticator;
grant usage, select on all sequences in schema auth to fluxbase_authenticator;
-- Operators query users from admin SQL and reference them in policies.
grant select, insert, update, delete on auth.users to service_role;
