-- Reverts 004_auth: the auth core tables (their grants and indexes go with them).
drop table if exists auth.mfa_challenges;
drop table if exists auth.mail_outbox;
drop table if exists auth.one_time_tokens;
drop table if exists auth.refresh_tokens;
drop table if exists auth.sessions;
drop table if exists auth.login_attempts;
drop table if exists auth.users;
