-- Realtime RLS (docs/realtime.md "Who receives a change"): decide which subscribers may see
-- which changed rows in one statement. The server passes the rows as they were in the change
-- (the new row, or the old row of a DELETE) and one check per distinct role and claim set,
-- each with the SELECT policy predicate that applies to that role (permissive policies OR'd,
-- restrictive AND'd, printed by pg_get_expr with an empty search_path so every name is
-- qualified) and the rows it needs (1-based positions in `records`). Each check sets the role
-- and the claims exactly as a REST request does (packages/server/src/db/context.ts) and
-- evaluates the predicate against those rows rebuilt as typed records, so a row deleted or
-- changed since is judged as it was.
--
-- `safe`: each check runs in its own subtransaction and one that raises (a policy calling a
-- function that fails for some claims) counts as "not visible". The server calls the fast
-- form first and repeats a batch in the safe form only when the fast one raised.

create or replace function realtime.visible_records(rel regclass, records jsonb, checks jsonb, safe boolean default false)
returns table (check_index int, record_index int)
language plpgsql
volatile
set search_path = ''
as $$
declare
  c record;
  hits int[];
  alias text;
  query text;
  current_role_name text := '';
begin
  -- The rows are aliased as the table, so predicates naming table.column resolve too.
  select pg_catalog.quote_ident(k.relname) into strict alias from pg_catalog.pg_class k where k.oid = rel;
  for c in select (e.value ->> 'role') as role, (e.value ->> 'claims') as claims, (e.value ->> 'sub') as sub,
                  (e.value ->> 'predicate') as predicate, (e.value -> 'rows') as rows, (e.ordinality - 1)::int as idx
             from pg_catalog.jsonb_array_elements(checks) with ordinality as e
  loop
    query := pg_catalog.format(
      'select coalesce(pg_catalog.array_agg(__fb_rows.__fb_i), ''{}'') from pg_catalog.jsonb_array_elements($1) with ordinality as __fb_rows(__fb_r, __fb_i) '
      || 'cross join lateral pg_catalog.jsonb_populate_record(null::%s, __fb_rows.__fb_r) as %s '
      || 'where __fb_rows.__fb_i = any ($2) and (%s)',
      rel::text, alias, c.predicate);
    -- The role is set only when it changes; the claims for every check. A raising check in the
    -- safe form rolls back only its own subtransaction (the settings above stay as set).
    if c.role <> current_role_name then
      perform pg_catalog.set_config('role', c.role, true);
      current_role_name := c.role;
    end if;
    perform pg_catalog.set_config('request.jwt.claims', c.claims, true), pg_catalog.set_config('request.jwt.claim.sub', coalesce(c.sub, ''), true),
      pg_catalog.set_config('request.jwt.claim.role', c.role, true);
    if safe then
      begin
        execute query into hits using records, (select pg_catalog.array_agg(x::int) from pg_catalog.jsonb_array_elements_text(c.rows) as x);
      exception when others then
        hits := '{}';
      end;
    else
      execute query into hits using records, (select pg_catalog.array_agg(x::int) from pg_catalog.jsonb_array_elements_text(c.rows) as x);
    end if;
    check_index := c.idx;
    foreach record_index in array hits loop
      record_index := record_index - 1;
      return next;
    end loop;
  end loop;
  perform pg_catalog.set_config('role', 'none', true);
end
$$;

-- The grouped form, for predicates that read the claims only through auth.uid(), auth.jwt()
-- and auth.role() and call nothing else outside pg_catalog (checked by the server,
-- packages/server/src/realtime/engine/rls.ts groupedPredicate): the server replaces those
-- calls with the columns of one row per claim set (__fb_c.__fb_uid, __fb_jwt, __fb_role,
-- computed exactly as the helpers of migrations/001_foundation.up.sql would), so all claim
-- sets of one role are decided by one query instead of one query each.
create or replace function realtime.visible_records_grouped(rel regclass, records jsonb, groups jsonb)
returns table (check_index int, record_index int)
language plpgsql
volatile
set search_path = ''
as $$
declare
  g record;
  alias text;
begin
  select pg_catalog.quote_ident(k.relname) into strict alias from pg_catalog.pg_class k where k.oid = rel;
  for g in select (e.value ->> 'role') as role, (e.value ->> 'predicate') as predicate, (e.value -> 'sets') as sets
             from pg_catalog.jsonb_array_elements(groups) as e
  loop
    perform pg_catalog.set_config('role', g.role, true);
    return query execute pg_catalog.format(
      'select __fb_c.__fb_k, (__fb_rows.__fb_i - 1)::int '
      || 'from pg_catalog.jsonb_to_recordset($2) as __fb_c(__fb_k int, __fb_uid uuid, __fb_jwt jsonb, __fb_role text, __fb_rows int[]) '
      || 'cross join lateral pg_catalog.jsonb_array_elements($1) with ordinality as __fb_rows(__fb_r, __fb_i) '
      || 'cross join lateral pg_catalog.jsonb_populate_record(null::%s, __fb_rows.__fb_r) as %s '
      || 'where __fb_rows.__fb_i = any (__fb_c.__fb_rows) and (%s)',
      rel::text, alias, g.predicate)
      using records, g.sets;
  end loop;
  perform pg_catalog.set_config('role', 'none', true);
end
$$;

revoke all on function realtime.visible_records_grouped(regclass, jsonb, jsonb) from public;
grant execute on function realtime.visible_records_grouped(regclass, jsonb, jsonb) to fluxbase_authenticator;
revoke all on function realtime.visible_records(regclass, jsonb, jsonb, boolean) from public;
grant usage on schema realtime to fluxbase_authenticator;
grant execute on function realtime.visible_records(regclass, jsonb, jsonb, boolean) to fluxbase_authenticator;

-- Broadcasts between instances over NOTIFY store payloads above its 8000-byte limit here
-- (packages/server/src/realtime/engine/bus.ts).
grant select, insert on realtime.change_payloads to fluxbase_authenticator;
grant usage on sequence realtime.change_payloads_id_seq to fluxbase_authenticator;
