-- Schema cache reloads: after DDL an event trigger sends NOTIFY fluxbase_schema (delivered at
-- commit), which every instance LISTENs to. Event triggers need a superuser; on a managed
-- database without one the migration still succeeds (with a NOTICE) and the cache reloads
-- on `NOTIFY pgrst, 'reload schema'` or POST /api/v1/admin/schema/refresh instead.

create or replace function fluxbase.notify_ddl() returns event_trigger
language plpgsql
as $$
begin
  -- Commands that only create or alter temporary objects (a session's scratch tables, schema
  -- `pg_temp`) cannot change the schema cache. DROP commands are reported by sql_drop only.
  if tg_event = 'ddl_command_end' then
    if exists (select 1 from pg_event_trigger_ddl_commands())
       and not exists (select 1 from pg_event_trigger_ddl_commands() where coalesce(schema_name, '') !~ '^pg_(temp|toast_temp)') then
      return;
    end if;
  elsif tg_event = 'sql_drop' then
    if not exists (select 1 from pg_event_trigger_dropped_objects() where not is_temporary) then
      return;
    end if;
  end if;
  perform pg_notify('fluxbase_schema', 'reload');
end
$$;

do $$
begin
  drop event trigger if exists fluxbase_schema_ddl;
  drop event trigger if exists fluxbase_schema_drop;
  create event trigger fluxbase_schema_ddl on ddl_command_end execute function fluxbase.notify_ddl();
  create event trigger fluxbase_schema_drop on sql_drop execute function fluxbase.notify_ddl();
exception when insufficient_privilege then
  raise notice 'fluxbase: not a superuser, so no DDL event trigger: reload the schema cache with NOTIFY pgrst, ''reload schema'' after schema changes';
end
$$;
