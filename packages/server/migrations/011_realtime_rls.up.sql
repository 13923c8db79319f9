-- Realtime RLS (docs/realtime.md "Who receives a change"): decide which subscribers may see
-- which changed rows in one statement. The server passes the rows as they were in the change
-- (the new row, or the old row of a DELETE) and one check per distinct role and claim set,
-- each with the SELECT policy predicate that applies to that role (permissive policies OR'd,
-- restrictive AND'd, printed by pg_get_expr with an empty search_path so every name is
-- qualified). Each check sets the role and the claims exactly as a REST request does
-- (packages/server/src/db/context.ts) and evaluates the predicate against the rows rebuilt as
-- typed records, so a row deleted or changed since the event is judged as it was.
-- A check that raises (a policy calling a function that fails) counts as "not visible".

create or replace function realtime.visible_records(rel regclass, records jsonb, checks jsonb)
returns table (check_index int, record_index int)
language plpgsql
volatile
set search_path = ''
as $$
declare
  c record;
  hits int[];
  alias text;
begin
  -- The rows are aliased as the table, so predicates naming table.column resolve too.
  select pg_catalog.quote_ident(k.relname) into strict alias from pg_catalog.pg_class k where k.oid = rel;
  for c in select (e.value ->> 'role') as role, (e.value ->> 'claims') as claims, (e.value ->> 'sub') as sub,
                  (e.value ->> 'predicate') as predicate, (e.ordinality - 1)::int as idx
             from pg_catalog.jsonb_array_elements(checks) with ordinality as e
  loop
    begin
      perform pg_catalog.set_config('role', c.role, true);
      perform pg_catalog.set_config('request.jwt.claims', c.claims, true);
      perform pg_catalog.set_config('request.jwt.claim.sub', coalesce(c.sub, ''), true);
      perform pg_catalog.set_config('request.jwt.claim.role', c.role, true);
      execute pg_catalog.format(
        'select coalesce(pg_catalog.array_agg(__fb_rows.__fb_i), ''{}'') from pg_catalog.jsonb_array_elements($1) with ordinality as __fb_rows(__fb_r, __fb_i) '
        || 'cross join lateral pg_catalog.jsonb_populate_record(null::%s, __fb_rows.__fb_r) as %s where (%s)',
        rel::text, alias, c.predicate)
        into hits using records;
    exception when others then
      hits := '{}';
    end;
    check_index := c.idx;
    foreach record_index in array hits loop
      record_index := record_index - 1;
      return next;
    end loop;
  end loop;
  perform pg_catalog.set_config('role', 'none', true);
end
$$;

revoke all on function realtime.visible_records(regclass, jsonb, jsonb) from public;
grant usage on schema realtime to fluxbase_authenticator;
grant execute on function realtime.visible_records(regclass, jsonb, jsonb) to fluxbase_authenticator;

-- Broadcasts between instances over NOTIFY store payloads above its 8000-byte limit here
-- (packages/server/src/realtime/engine/bus.ts).
grant select, insert on realtime.change_payloads to fluxbase_authenticator;
grant usage on sequence realtime.change_payloads_id_seq to fluxbase_authenticator;
