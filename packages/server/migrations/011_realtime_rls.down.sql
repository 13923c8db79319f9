drop function if exists realtime.visible_records(regclass, jsonb, jsonb, boolean);
