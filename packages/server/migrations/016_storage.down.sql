-- Reverts 016_storage. The storage schema itself belongs to 001_foundation and stays; the
-- stored bytes are the backend's and are not touched.
-- One statement: the objects policies read object_shares, which references objects.
drop table if exists storage.upload_sessions, storage.object_shares, storage.objects, storage.buckets;
drop function if exists storage.is_object_owner(uuid);
drop function if exists storage.is_admin();
drop function if exists storage.extension(text);
drop function if exists storage.filename(text);
drop function if exists storage.foldername(text);
revoke usage on schema storage from anon, authenticated;
