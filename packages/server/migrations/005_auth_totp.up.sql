-- TOTP two-factor authentication (API.md §8.4): pending enrolments, the enabled factor
-- with its last used step (a code is accepted once), hashed single-use recovery codes and
-- every verification attempt, from which the per-user lock is computed (so it holds across
-- instances). Secrets are stored AES-256-GCM sealed under `encryption_key`, never in clear.
-- auth.users.totp_enabled (004) mirrors whether a factor row exists.

-- A setup awaiting its first code (10 minutes); a new setup replaces it.
create table auth.totp_setups (
  user_id uuid primary key references auth.users (id) on delete cascade,
  -- Becomes the factor id on enable (the `id` answered by /2fa/setup).
  id uuid not null default gen_random_uuid(),
  -- base64(nonce12 ‖ ciphertext ‖ tag) of the base32 secret.
  secret_enc text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);

create table auth.totp_factors (
  user_id uuid primary key references auth.users (id) on delete cascade,
  id uuid not null unique,
  secret_enc text not null,
  -- The newest 30-second step whose code was accepted; any code for it or earlier is refused.
  last_used_step bigint not null default 0,
  created_at timestamptz not null default now()
);

create table auth.totp_recovery_codes (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  -- scrypt$N$r$p$salt$key of the normalised code; the code itself is shown once.
  code_hash text not null,
  created_at timestamptz not null default now(),
  used_at timestamptz
);
create index totp_recovery_codes_user on auth.totp_recovery_codes (user_id) where used_at is null;

-- Every second-factor attempt (verify, and the code or password that disable and
-- recovery-code regeneration ask for), with where it came from.
create table auth.two_factor_recovery_attempts (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  code_used text not null check (code_used in ('totp', 'recovery_code', 'password')),
  action text not null default 'verify' check (action in ('verify', 'disable', 'recovery_codes')),
  success boolean not null,
  -- invalid_code, code_already_used, wrong_password, locked, no_pending_challenge, invalid_challenge.
  failure_reason text,
  -- Whether a failure counts toward the lock: wrong guesses do; attempts refused by the lock
  -- or for want of a challenge (no code was tested) do not.
  counted boolean not null default false,
  -- Set by a later success or an admin unlock: the failure no longer counts.
  cleared_at timestamptz,
  ip_address inet,
  user_agent text,
  attempted_at timestamptz not null default now(),
  check (success = (failure_reason is null))
);
create index two_factor_recovery_attempts_user on auth.two_factor_recovery_attempts (user_id, attempted_at desc);

grant select, insert, update, delete on auth.totp_setups, auth.totp_factors, auth.totp_recovery_codes,
  auth.two_factor_recovery_attempts to fluxbase_authenticator;
grant usage, select on all sequences in schema auth to fluxbase_authenticator;
