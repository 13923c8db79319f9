-- OAuth 2.0 / OIDC (API.md §8.5): providers managed through the admin API (presets and
-- generic OIDC; providers in fluxbase.yaml need no row), pending authorization attempts
-- (state, PKCE verifier, nonce) kept in the database so that the callback may reach any
-- instance, and the identities that link provider accounts to users, with the provider
-- tokens sealed under `encryption_key`.

create table auth.oauth_providers (
  name text primary key check (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
  display_name text,
  client_id text not null check (length(client_id) between 1 and 512),
  -- AES-256-GCM under encryption_key; never returned by the API.
  client_secret_enc text,
  -- OIDC: discovery from issuer_url; the explicit endpoints below override it.
  issuer_url text,
  authorize_url text,
  token_url text,
  userinfo_url text,
  jwks_url text,
  -- Empty: the preset's (or OIDC's `openid email profile`) scopes.
  scopes text[] not null default '{}',
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- One row per authorization attempt, consumed once by the callback
-- (DELETE … WHERE state_hash = $1 AND expires_at > now() RETURNING).
create table auth.oauth_states (
  -- SHA-256 of the state sent to the provider (32 random bytes, base64url).
  state_hash bytea primary key,
  provider text not null,
  -- The PKCE S256 verifier, sealed.
  code_verifier_enc text not null,
  -- OIDC nonce (it travels in the authorization URL; not a secret).
  nonce text,
  redirect_uri text not null,
  redirect_to text,
  -- Optional S256 challenge from the client that started the flow (the SDK's own PKCE):
  -- the callback must then bring the matching code_verifier, binding it to that client.
  client_code_challenge text,
  -- Set when a signed-in user links a new identity (POST /user/identities).
  link_user_id uuid references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index oauth_states_expires on auth.oauth_states (expires_at);

create table auth.identities (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  provider text not null,
  -- `sub` of the ID token, or the provider's user id (GitHub `id`).
  provider_subject text not null,
  email text,
  -- Profile claims as last seen (name, picture, …); never tokens.
  identity_data jsonb not null default '{}' check (jsonb_typeof(identity_data) = 'object'),
  -- Provider tokens, sealed under encryption_key (GET /oauth/:provider/token).
  access_token_enc text,
  refresh_token_enc text,
  token_expires_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_sign_in_at timestamptz,
  unique (provider, provider_subject)
);
create index identities_user on auth.identities (user_id);

grant select, insert, update, delete on auth.oauth_providers, auth.oauth_states, auth.identities
  to fluxbase_authenticator;
