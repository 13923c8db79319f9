-- Storage metadata (API.md §10; docs/storage.md, to come): buckets, objects, per-user shares
-- and resumable upload sessions. The bytes live in a backend (local disk or S3); these rows
-- say what exists and who may touch it. Every request statement runs under the caller's
-- role and claims (db/context.ts), so Row Level Security below is the whole authorization:
-- the server never re-implements it. service_role has BYPASSRLS and sees everything.
--
-- Default policies (upstream Fluxbase's, minus its flaws):
--   buckets  storage_buckets_public_read       public buckets: anyone, anon included
--            storage_buckets_signed_in_read    every bucket: signed-in users (they may upload
--                                              into any bucket by default, so they see its limits)
--            storage_buckets_admin_write       create/change/delete: storage.is_admin() (the
--                                              admin principal: service_role or auth.users.role = 'admin')
--   objects  storage_objects_owner_all         owner_id = auth.uid(): everything
--            storage_objects_public_read       objects of public buckets: anyone
--            storage_objects_shared_read       a read or write share: select
--            storage_objects_shared_update     a write share: update (overwrite, move)
--            storage_objects_shared_delete     a write share: delete
--            (anon has no insert/update/delete grant and no write policy: anonymous callers never write)
--   shares   storage_object_shares_read        the shared-with user and the granter see a share
--            storage_object_shares_owner_*     only the object's owner grants, changes, revokes
--   sessions storage_upload_sessions_owner_all a session is its creator's
--
-- Replacing a policy (operators, in a project migration, as the database owner):
--   drop policy storage_objects_owner_all on storage.objects;
--   -- e.g. users write only under a folder named after their id, as Supabase's examples do:
--   create policy my_objects_own_folder on storage.objects for all to authenticated
--     using (owner_id = auth.uid())
--     with check (owner_id = auth.uid() and (storage.foldername(name))[1] = auth.uid()::text);
-- Permissive policies of one command are OR'd: to narrow access, drop the wider one first.
-- A policy on storage.object_shares must not read storage.objects directly (the objects
-- policies read shares; PostgreSQL refuses the cycle): call storage.is_object_owner() as below.
-- Anonymous uploads need both a policy `to anon` and `grant insert on storage.objects to anon`.
-- Policies run for every listed row: keep them to indexed columns and stable functions.

-- ---- helpers (Supabase-compatible: same names, arguments and results) ----

-- 'a/b/c.png' → {a,b}
create or replace function storage.foldername(name text) returns text[]
language plpgsql
as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[1:array_length(_parts, 1) - 1];
end
$$;

-- 'a/b/c.png' → 'c.png'
create or replace function storage.filename(name text) returns text
language plpgsql
as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[array_length(_parts, 1)];
end
$$;

-- 'a/b/c.png' → 'png'. Supabase's definition, kept as is: the text after the file name's
-- FIRST dot ('x.tar.gz' → 'tar'), so policies written for Supabase behave the same here.
create or replace function storage.extension(name text) returns text
language plpgsql
as $$
declare
  _parts text[];
  _filename text;
begin
  select string_to_array(name, '/') into _parts;
  select _parts[array_length(_parts, 1)] into _filename;
  return split_part(_filename, '.', 2);
end
$$;

-- The admin principal (http/admin-guard.ts): the service role, or a user whose auth.users.role
-- is 'admin', read now so a demotion counts at once (a token's user_role claim may be stale).
-- SECURITY DEFINER: request roles cannot read auth.users.
create or replace function storage.is_admin() returns boolean
language sql stable
security definer
set search_path = ''
as $$
  select auth.role() = 'service_role'
    or exists (select 1 from auth.users u where u.id = auth.uid() and u.role = 'admin')
$$;
revoke execute on function storage.is_admin() from public;

-- ---- tables ----

create table storage.buckets (
  -- The name is the id (Supabase); name-rules.ts has the full rules, the check is a backstop.
  id text primary key check (id ~ '^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$' and position('..' in id) = 0),
  name text not null unique check (name = id),
  public boolean not null default false,
  -- NULL: any type; entries are exact ('image/png'), 'type/*' or '*/*'.
  allowed_mime_types text[],
  -- Bytes; NULL: only the server-wide limit.
  max_file_size bigint check (max_file_size > 0),
  owner_id uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table storage.objects (
  id uuid primary key default gen_random_uuid(),
  -- No cascade: a bucket with objects cannot be deleted (BUCKET_NOT_EMPTY), and the FK check
  -- sees rows RLS hides from the deleting admin.
  bucket_id text not null references storage.buckets (id),
  -- Keys are byte strings ordered as S3 orders them (collation "C"), so a prefix is an index
  -- range. The server refuses bad names first (name-rules.ts); this check is a backstop for
  -- rows written with SQL.
  name text collate "C" not null check (
    octet_length(name) between 1 and 1024 and left(name, 1) <> '/' and name !~ '(^|/)\.\.?(/|$)' and name !~ '[\x01-\x1f\x7f\\]'),
  -- Upstream's column name, for clients and policies written against it.
  path text collate "C" generated always as (name) stored,
  owner_id uuid default auth.uid(),
  mime_type text,
  size bigint not null default 0 check (size >= 0),
  etag text,
  cache_control text,
  metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
  -- Which stored bytes are current: an upload writes new bytes under a fresh version, then
  -- commits the row, then deletes the previous version's bytes (object-store.ts), so a failed
  -- or refused write never touches the bytes readers are served.
  version uuid not null default gen_random_uuid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_accessed_at timestamptz,
  unique (bucket_id, name)
);
create index objects_by_owner on storage.objects (owner_id);

create table storage.object_shares (
  object_id uuid not null references storage.objects (id) on delete cascade,
  user_id uuid not null,
  permission text not null check (permission in ('read', 'write')),
  -- The owner who granted it (policies read this instead of storage.objects; see above).
  granted_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  primary key (object_id, user_id)
);
create index object_shares_by_user on storage.object_shares (user_id, object_id);

-- Resumable uploads (API.md §10 chunked routes). The chunks' bytes are staged by the backend
-- under the session id; `complete` inserts the storage.objects row (RLS decides then, and was
-- checked at init) and the session goes. Expired sessions are swept with their staged bytes.
create table storage.upload_sessions (
  id text primary key default replace(gen_random_uuid()::text, '-', '') check (id ~ '^[0-9a-f]{32}$'),
  bucket_id text not null references storage.buckets (id) on delete cascade,
  name text collate "C" not null check (octet_length(name) between 1 and 1024),
  owner_id uuid default auth.uid(),
  total_size bigint not null check (total_size > 0),
  chunk_size integer not null check (chunk_size > 0),
  total_chunks integer not null check (total_chunks > 0),
  -- Indexes (0-based) of the chunks stored so far, ascending, no duplicates.
  received_chunks integer[] not null default '{}',
  -- Per-chunk backend data ({"<index>": {"etag": …, "size": …}}), e.g. S3 multipart parts.
  parts jsonb not null default '{}' check (jsonb_typeof(parts) = 'object'),
  -- The backend's own upload handle (S3 UploadId), when it has one.
  backend_upload_id text,
  content_type text,
  metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
  cache_control text,
  upsert boolean not null default false,
  status text not null default 'active' check (status in ('active', 'completing', 'completed', 'aborted')),
  expires_at timestamptz not null default now() + interval '24 hours',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index upload_sessions_expiry on storage.upload_sessions (expires_at);
create index upload_sessions_by_owner on storage.upload_sessions (owner_id);

-- The object owner's check for share policies: a function, so that storage.object_shares'
-- policies do not name storage.objects (whose policies name object_shares: PostgreSQL refuses
-- such a cycle when it expands policies). It runs as the caller, under the objects policies.
-- plpgsql so it is never inlined back into the policy.
create or replace function storage.is_object_owner(object_id uuid) returns boolean
language plpgsql stable
set search_path = ''
as $$
begin
  return exists (select 1 from storage.objects o where o.id = object_id and o.owner_id = auth.uid());
end
$$;

-- ---- Row Level Security ----

alter table storage.buckets enable row level security;
alter table storage.buckets force row level security;
create policy storage_buckets_public_read on storage.buckets for select to anon, authenticated using (public);
create policy storage_buckets_signed_in_read on storage.buckets for select to authenticated using (true);
create policy storage_buckets_admin_write on storage.buckets for all to authenticated
  using (storage.is_admin()) with check (storage.is_admin());

alter table storage.objects enable row level security;
alter table storage.objects force row level security;
create policy storage_objects_owner_all on storage.objects for all to authenticated
  using (owner_id = auth.uid()) with check (owner_id = auth.uid());
create policy storage_objects_public_read on storage.objects for select to anon, authenticated
  using (bucket_id in (select b.id from storage.buckets b where b.public));
create policy storage_objects_shared_read on storage.objects for select to authenticated
  using (exists (select 1 from storage.object_shares s where s.object_id = id and s.user_id = auth.uid()));
create policy storage_objects_shared_update on storage.objects for update to authenticated
  using (exists (select 1 from storage.object_shares s where s.object_id = id and s.user_id = auth.uid() and s.permission = 'write'))
  with check (exists (select 1 from storage.object_shares s where s.object_id = id and s.user_id = auth.uid() and s.permission = 'write'));
create policy storage_objects_shared_delete on storage.objects for delete to authenticated
  using (exists (select 1 from storage.object_shares s where s.object_id = id and s.user_id = auth.uid() and s.permission = 'write'));

alter table storage.object_shares enable row level security;
alter table storage.object_shares force row level security;
create policy storage_object_shares_read on storage.object_shares for select to authenticated
  using (user_id = auth.uid() or granted_by = auth.uid());
create policy storage_object_shares_owner_insert on storage.object_shares for insert to authenticated
  with check (granted_by = auth.uid() and storage.is_object_owner(object_id));
create policy storage_object_shares_owner_update on storage.object_shares for update to authenticated
  using (storage.is_object_owner(object_id)) with check (granted_by = auth.uid() and storage.is_object_owner(object_id));
create policy storage_object_shares_owner_delete on storage.object_shares for delete to authenticated
  using (storage.is_object_owner(object_id));

alter table storage.upload_sessions enable row level security;
alter table storage.upload_sessions force row level security;
create policy storage_upload_sessions_owner_all on storage.upload_sessions for all to authenticated
  using (owner_id = auth.uid()) with check (owner_id = auth.uid());

-- ---- grants (RLS above decides which rows) ----

grant usage on schema storage to anon, authenticated, service_role;
grant select on storage.buckets, storage.objects to anon;
grant select, insert, update, delete on storage.buckets, storage.objects, storage.object_shares, storage.upload_sessions
  to authenticated, service_role;
grant execute on function storage.foldername(text), storage.filename(text), storage.extension(text)
  to anon, authenticated, service_role;
grant execute on function storage.is_admin(), storage.is_object_owner(uuid) to anon, authenticated, service_role;
