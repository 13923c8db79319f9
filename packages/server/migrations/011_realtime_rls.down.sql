drop function if exists realtime.visible_records_grouped(regclass, jsonb, jsonb);
drop function if exists realtime.visible_records(regclass, jsonb, jsonb, boolean);
