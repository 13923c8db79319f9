-- Reverts 009_auth_mail_requests (queued requests are lost).
drop table if exists auth.mail_requests;
