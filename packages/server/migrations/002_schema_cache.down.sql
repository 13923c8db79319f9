-- Reverts 002_schema_cache: the DDL event triggers (if they were created) and their function.
do $$
begin
  drop event trigger if exists fluxbase_schema_ddl;
  drop event trigger if exists fluxbase_schema_drop;
exception when insufficient_privilege then
  raise notice 'fluxbase: not a superuser, so the DDL event triggers were not dropped';
end
$$;
drop function if exists fluxbase.notify_ddl();
