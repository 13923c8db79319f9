-- Reverts 005_auth_totp: the TOTP tables (their grants and indexes go with them) and the
-- users' enabled flags, which would otherwise point at factors that no longer exist.
drop table if exists auth.two_factor_recovery_attempts;
drop table if exists auth.totp_recovery_codes;
drop table if exists auth.totp_factors;
drop table if exists auth.totp_setups;
update auth.users set totp_enabled = false where totp_enabled;
