// Change capture SQL (docs/realtime.md "Enabling a table"): installing and removing the
// capture trigger of migrations/010_realtime.up.sql on a table, the registry the engine
// reads, and the side table of changes too large for NOTIFY. Every statement of the
// capture lives here. Names are checked against the catalog before they are quoted;
// values are always parameters. DDL needs the table owner's rights, so enable, update and
// disable take the owner connection (db.admin, or the CLI's); the reads take any
// connection whose role was granted the registry and the side table.
import type postgres from 'postgres';
import { isInternalSchema, isSystemSchema } from '../../db/index.ts';
import { AppError, errors, fromPgError, isPgError } from '../../http/index.ts';
import { closestName, qualified, quoteIdent, quoteInput, quoteLiteral } from '../../query/index.ts';

/** Notified (empty payload) in the transaction that changes the registry: reload it. */
export const REGISTRY_CHANNEL = 'fluxbase_realtime_registry';
/** Changes arrive on `fluxbase_realtime_0` … `fluxbase_realtime_63`, one channel per table. */
export const CHANGE_CHANNEL_PREFIX = 'fluxbase_realtime_';
export const CHANGE_PARTITIONS = 64;
/** The name of the capture trigger on every enabled table. */
export const TRIGGER_NAME = 'fluxbase_realtime_capture';
export const CHANGE_EVENTS = ['INSERT', 'UPDATE', 'DELETE'] as const;
export type ChangeEvent = (typeof CHANGE_EVENTS)[number];

/** Every change channel, for a listener that LISTENs to all of them. */
export function changeChannels(): string[] {
  return Array.from({ length: CHANGE_PARTITIONS }, (_, i) => `${CHANGE_CHANNEL_PREFIX}${i}`);
}

/** Anything a tagged-template query can run on: a pool, a reserved connection, a transaction. */
export type Queryable = postgres.Sql | postgres.TransactionSql;

export interface TableRef {
  schema: string;
  table: string;
}

export interface CaptureSettings {
  /** Default all three, in the order INSERT, UPDATE, DELETE. */
  events?: readonly ChangeEvent[] | undefined;
  /** Columns the server removes from `record`/`old_record` after its RLS check. Default none. */
  exclude?: readonly string[] | undefined;
}

/** A registry row as the admin API shows it. */
export interface RegistryEntry extends TableRef {
  id: number;
  /** True only while the registry says so and the trigger is on the table. */
  realtime_enabled: boolean;
  events: ChangeEvent[];
  excluded_columns: string[];
  created_at: Date;
  updated_at: Date;
}

/** What GET shows for a table that exists but was never enabled. */
export interface UnregisteredTable extends TableRef {
  realtime_enabled: false;
  events: [];
  excluded_columns: [];
}

/** What the engine needs to know of each enabled table. */
export interface EnabledTable extends TableRef {
  events: ChangeEvent[];
  excluded: string[];
}

// ---- validation ----

/** The canonical order, without duplicates; empty is refused (there would be nothing to send). */
function canonicalEvents(events: readonly ChangeEvent[]): ChangeEvent[] {
  const set = new Set(events);
  const out = CHANGE_EVENTS.filter((e) => set.has(e));
  if (out.length === 0) {
    throw new AppError('VALIDATION_FAILED', { message: 'events must name at least one of INSERT, UPDATE, DELETE', details: { fields: { events: 'must not be empty' } } });
  }
  return out;
}

/** Realtime serves the project's tables only: never Fluxbase's or PostgreSQL's own. */
function checkSchema(schema: string): void {
  if (!isInternalSchema(schema)) return;
  const why = isSystemSchema(schema) ? 'is a PostgreSQL system schema' : 'is internal to Fluxbase';
  throw new AppError('VALIDATION_FAILED', {
    message: `Schema "${schema}" ${why}; realtime captures changes of your own tables only`,
    details: { fields: { schema: why } },
  });
}

interface CatalogTable extends TableRef {
  kind: string;
  columns: string[];
}

const RELKIND_NAMES: Record<string, string> = { v: 'a view', m: 'a materialized view', f: 'a foreign table', S: 'a sequence', c: 'a composite type', i: 'an index', I: 'an index' };

async function findTable(sql: Queryable, ref: TableRef): Promise<CatalogTable | undefined> {
  const [row] = await sql<{ kind: string; columns: string[] }[]>`
    select c.relkind::text as kind,
           coalesce((select array_agg(a.attname::text order by a.attnum) from pg_catalog.pg_attribute a
                     where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '{}') as columns
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${ref.schema} and c.relname = ${ref.table}`;
  return row ? { schema: ref.schema, table: ref.table, kind: row.kind, columns: row.columns } : undefined;
}

const tableNotFound = (ref: TableRef) => errors.notFound('table', `Table "${ref.schema}.${ref.table}" not found`);

/** The table, which must exist and be an ordinary or partitioned table. */
async function captureTarget(sql: Queryable, ref: TableRef): Promise<CatalogTable> {
  checkSchema(ref.schema);
  const found = await findTable(sql, ref);
  if (!found) throw tableNotFound(ref);
  if (found.kind !== 'r' && found.kind !== 'p') {
    const what = RELKIND_NAMES[found.kind] ?? 'not a table';
    throw new AppError('VALIDATION_FAILED', {
      message: `"${ref.schema}.${ref.table}" is ${what}; realtime captures changes of tables only`,
      details: { fields: { table: `is ${what}` } },
    });
  }
  return found;
}

function checkColumns(target: CatalogTable, exclude: readonly string[]): string[] {
  const known = new Set(target.columns);
  for (const name of exclude) {
    if (known.has(name)) continue;
    const closest = closestName(name, target.columns);
    throw new AppError('UNKNOWN_COLUMN', {
      message: `Column ${quoteInput(name)} in exclude does not exist in ${quoteInput(`${target.schema}.${target.table}`)}`,
      details: { table: `${target.schema}.${target.table}`, column: name },
      hint: closest ? `Perhaps you meant ${quoteInput(closest)}` : undefined,
    });
  }
  return [...new Set(exclude)];
}

// ---- writes (owner connection) ----

/** Bounded wait for the table lock DDL takes, so a long transaction on the table cannot hang the call. */
const LOCK_TIMEOUT = '10s';

/**
 * One transaction on the owner connection. Catalog errors become catalog codes: a lock held
 * too long is a 503 to retry, a table owned by a role the owner connection cannot act for
 * a 403 naming the fix.
 */
async function inOwnerTx<T>(sql: postgres.Sql, ref: TableRef, fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  try {
    return await sql.begin(async (tx) => {
      await tx.unsafe(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
      return fn(tx);
    }) as T;
  } catch (err) {
    if (!isPgError(err)) throw err;
    if (err.code === '55P03') {
      throw errors.serviceUnavailable(`"${ref.schema}.${ref.table}" is locked by another transaction; retry when it has finished`);
    }
    if (err.code === '42501') {
      throw new AppError('INSUFFICIENT_PERMISSIONS', {
        message: `The database owner connection may not create triggers on "${ref.schema}.${ref.table}"; grant its owner role to the role Fluxbase connects as`,
        cause: err,
      });
    }
    throw fromPgError(err, { anonymous: false });
  }
}

/**
 * (Re)create the trigger for `events`. Dropped first so a change of events applies. Its
 * arguments name the table as enabled, so the changes of a partitioned table's partitions
 * are reported under the parent's name.
 */
async function installTrigger(tx: postgres.TransactionSql, target: CatalogTable, events: readonly ChangeEvent[]): Promise<void> {
  const table = qualified(target.schema, target.table);
  await tx.unsafe(`drop trigger if exists ${quoteIdent(TRIGGER_NAME)} on ${table}`);
  await tx.unsafe(
    `create trigger ${quoteIdent(TRIGGER_NAME)} after ${events.join(' or ')} on ${table} for each row ` +
      `execute function realtime.capture_change(${quoteLiteral(target.schema)}, ${quoteLiteral(target.table)})`,
  );
}

const notifyRegistry = (tx: postgres.TransactionSql) => tx`select pg_catalog.pg_notify(${REGISTRY_CHANNEL}, '')`;

interface EntryRow {
  id: string;
  schema: string;
  table: string;
  realtime_enabled: boolean;
  events: string[];
  excluded_columns: string[];
  created_at: Date;
  updated_at: Date;
}

const toEntry = (r: EntryRow): RegistryEntry => ({
  id: Number(r.id), schema: r.schema, table: r.table, realtime_enabled: r.realtime_enabled,
  events: r.events.filter((e): e is ChangeEvent => (CHANGE_EVENTS as readonly string[]).includes(e)),
  excluded_columns: r.excluded_columns, created_at: r.created_at, updated_at: r.updated_at,
});

/**
 * Install the capture trigger and register the table (again: enabling an enabled table
 * replaces its events and excluded columns). The engine hears of it through REGISTRY_CHANNEL
 * at commit.
 */
export async function enableTable(sql: postgres.Sql, input: TableRef & CaptureSettings): Promise<RegistryEntry> {
  const events = canonicalEvents(input.events ?? CHANGE_EVENTS);
  return inOwnerTx(sql, input, async (tx) => {
    const target = await captureTarget(tx, input);
    const exclude = checkColumns(target, input.exclude ?? []);
    await installTrigger(tx, target, events);
    const [row] = await tx<EntryRow[]>`
      insert into realtime.schema_registry as r (schema_name, table_name, realtime_enabled, events, excluded_columns)
      values (${target.schema}, ${target.table}, true, ${events}, ${exclude})
      on conflict (schema_name, table_name) do update
        set realtime_enabled = true, events = excluded.events, excluded_columns = excluded.excluded_columns, updated_at = now()
      returning r.id, r.schema_name as schema, r.table_name as table, r.realtime_enabled, r.events, r.excluded_columns, r.created_at, r.updated_at`;
    await notifyRegistry(tx);
    return toEntry(row!);
  });
}

/**
 * Change the events and/or excluded columns of an enabled table (what is not given stays).
 * 404 NOT_FOUND when the table is not enabled.
 */
export async function updateTable(sql: postgres.Sql, input: TableRef & CaptureSettings): Promise<RegistryEntry> {
  const events = input.events === undefined ? undefined : canonicalEvents(input.events);
  return inOwnerTx(sql, input, async (tx) => {
    const target = await captureTarget(tx, input);
    const current = await entryOf(tx, target);
    if (!current?.realtime_enabled) {
      throw errors.notFound('realtime_table', `Realtime is not enabled for "${target.schema}.${target.table}"; enable it with POST /api/v1/admin/realtime/tables`);
    }
    const exclude = input.exclude === undefined ? current.excluded_columns : checkColumns(target, input.exclude);
    const nextEvents = events ?? current.events;
    // Re-creating the trigger locks the table against writes: only when the events change.
    if (nextEvents.join() !== current.events.join()) await installTrigger(tx, target, nextEvents);
    const [row] = await tx<EntryRow[]>`
      update realtime.schema_registry as r set events = ${nextEvents}, excluded_columns = ${exclude}, updated_at = now()
      where r.id = ${current.id}
      returning r.id, r.schema_name as schema, r.table_name as table, r.realtime_enabled, r.events, r.excluded_columns, r.created_at, r.updated_at`;
    await notifyRegistry(tx);
    return toEntry(row!);
  });
}

/**
 * Drop the trigger and forget the table. A registry row whose table was dropped is removed
 * too; 404 NOT_FOUND only when there is neither table nor row. `wasEnabled`: whether
 * changes were being captured until now.
 */
export async function disableTable(sql: postgres.Sql, ref: TableRef): Promise<{ wasEnabled: boolean }> {
  checkSchema(ref.schema);
  return inOwnerTx(sql, ref, async (tx) => {
    const target = await findTable(tx, ref);
    const current = target ? await entryOf(tx, ref) : undefined;
    if (target && (target.kind === 'r' || target.kind === 'p')) {
      await tx.unsafe(`drop trigger if exists ${quoteIdent(TRIGGER_NAME)} on ${qualified(target.schema, target.table)}`);
    }
    const deleted = await tx`delete from realtime.schema_registry where schema_name = ${ref.schema} and table_name = ${ref.table} returning id`;
    if (!target && deleted.length === 0) throw tableNotFound(ref);
    if (deleted.length > 0) await notifyRegistry(tx);
    return { wasEnabled: current?.realtime_enabled ?? false };
  });
}

// ---- reads ----

/**
 * Registry rows with `realtime_enabled` narrowed to "and the trigger is on the table", so a
 * table dropped (or dropped and re-created) since it was enabled reads as not enabled.
 */
function entries(sql: Queryable, where: { ref?: TableRef; enabledOnly?: boolean }) {
  const ref = where.ref;
  return sql<EntryRow[]>`
    select * from (
      select r.id, r.schema_name as schema, r.table_name as table,
             r.realtime_enabled and exists (
               select 1 from pg_catalog.pg_trigger t
                 join pg_catalog.pg_class c on c.oid = t.tgrelid
                 join pg_catalog.pg_namespace n on n.oid = c.relnamespace
               where n.nspname = r.schema_name and c.relname = r.table_name and t.tgname = ${TRIGGER_NAME}
             ) as realtime_enabled,
             r.events, r.excluded_columns, r.created_at, r.updated_at
      from realtime.schema_registry r
      where ${ref === undefined} or (r.schema_name = ${ref?.schema ?? ''} and r.table_name = ${ref?.table ?? ''})
    ) e
    where not ${where.enabledOnly ?? false} or e.realtime_enabled
    order by e.schema, e.table`;
}

async function entryOf(sql: Queryable, ref: TableRef): Promise<RegistryEntry | undefined> {
  const [row] = await entries(sql, { ref });
  return row ? toEntry(row) : undefined;
}

/**
 * The status of one table: its registry entry, or `realtime_enabled: false` with no events
 * when it was never enabled. 404 NOT_FOUND when the table does not exist.
 */
export async function getTable(sql: Queryable, ref: TableRef): Promise<RegistryEntry | UnregisteredTable> {
  checkSchema(ref.schema);
  if (!(await findTable(sql, ref))) throw tableNotFound(ref);
  return (await entryOf(sql, ref)) ?? { schema: ref.schema, table: ref.table, realtime_enabled: false, events: [], excluded_columns: [] };
}

/** Registered tables by schema and name; `enabledOnly` (default true) leaves out those not captured now. */
export async function listTables(sql: Queryable, options: { enabledOnly?: boolean } = {}): Promise<RegistryEntry[]> {
  return (await entries(sql, { enabledOnly: options.enabledOnly ?? true })).map(toEntry);
}

/** The enabled tables, for the engine: read at start and on each REGISTRY_CHANNEL notification. */
export async function loadEnabled(sql: Queryable): Promise<EnabledTable[]> {
  return (await listTables(sql, { enabledOnly: true })).map((e) => ({ schema: e.schema, table: e.table, events: e.events, excluded: e.excluded_columns }));
}

/** The full change stored by the trigger when it was too large for NOTIFY; undefined once deleted. */
export async function fetchLargePayload(sql: Queryable, id: number | string): Promise<Record<string, unknown> | undefined> {
  const [row] = await sql<{ payload: Record<string, unknown> }[]>`select payload from realtime.change_payloads where id = ${String(id)}::bigint`;
  return row?.payload;
}

/** Delete stored large changes older than `olderThanSeconds`; returns how many. */
export async function deleteOldPayloads(sql: Queryable, olderThanSeconds: number): Promise<number> {
  const rows = await sql`delete from realtime.change_payloads where created_at < now() - make_interval(secs => ${olderThanSeconds})`;
  return rows.count;
}
