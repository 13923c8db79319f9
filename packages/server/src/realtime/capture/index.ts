// Change capture (docs/realtime.md "Enabling a table"): the trigger that turns each row
// change of an enabled table into a NOTIFY (migrations/010_realtime.up.sql), the registry
// of enabled tables, and the side table of changes too large for NOTIFY. It owns their SQL;
// it must not filter, check RLS or deliver anything: that is the engine's work.
export {
  REGISTRY_CHANNEL, CHANGE_CHANNEL_PREFIX, CHANGE_PARTITIONS, TRIGGER_NAME, CHANGE_EVENTS, changeChannels,
  enableTable, updateTable, disableTable, getTable, listTables, loadEnabled, fetchLargePayload, deleteOldPayloads,
  type ChangeEvent, type Queryable, type TableRef, type CaptureSettings, type RegistryEntry, type UnregisteredTable, type EnabledTable,
} from './store.ts';
