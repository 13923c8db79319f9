-- Reverts 006_auth_oauth: identities, pending OAuth states and DB-managed providers.
drop table if exists auth.identities;
drop table if exists auth.oauth_states;
drop table if exists auth.oauth_providers;
