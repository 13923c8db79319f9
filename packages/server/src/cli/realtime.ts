// `fluxbase realtime enable|disable|list`: which tables send their changes to realtime
// subscribers (docs/realtime.md "Enabling a table"). Like `fluxbase sql`, it works on the
// database as its owner (the trigger is DDL), so it needs no running server; a running
// server hears of each change through the registry notification and applies it at once.
import type { Command } from 'commander';
import { isAppError } from '../http/index.ts';
import { CHANGE_EVENTS, disableTable, enableTable, listTables, type ChangeEvent, type TableRef } from '../realtime/index.ts';
import { CliError, cliLogger, fail, loadCliValues, openOwnerDatabase, type OwnerDatabase } from './context.ts';
import { cell, table } from './table.ts';

/** `a, b` → ['a', 'b']; an empty entry (`a,,b`, a trailing comma) is a mistake worth naming. */
function listOption(value: string, option: string, what: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new CliError(`${option} takes a comma-separated list of ${what}, without empty entries (got "${value}")`);
  return items;
}

export function parseEvents(value: string): ChangeEvent[] {
  return listOption(value, '--events', 'events').map((e) => {
    const upper = e.toUpperCase();
    if (!(CHANGE_EVENTS as readonly string[]).includes(upper)) {
      throw new CliError(`unknown event "${e}" in --events: use INSERT, UPDATE and/or DELETE, comma-separated (e.g. --events INSERT,UPDATE)`);
    }
    return upper as ChangeEvent;
  });
}

/** `<table>` with --schema, or `schema.table` without it; public by default. */
export function tableRef(name: string, schema: string | undefined): TableRef {
  if (name.trim() === '') throw new CliError('give the table name, e.g. fluxbase realtime enable posts');
  if (schema !== undefined) return { schema, table: name };
  const dot = name.indexOf('.');
  if (dot > 0 && dot === name.lastIndexOf('.') && dot < name.length - 1) return { schema: name.slice(0, dot), table: name.slice(dot + 1) };
  return { schema: 'public', table: name };
}

/** The store's errors are written for API clients; the CLI prints them as one line with their hint. */
function cliFailure(err: unknown): unknown {
  if (!isAppError(err)) return err;
  return new CliError(err.hint ? `${err.message} (${err.hint})` : err.message);
}

async function withOwner<T>(program: Command, fn: (sql: OwnerDatabase['sql']) => Promise<T>): Promise<T> {
  const config = loadCliValues(program);
  const db = await openOwnerDatabase(config, cliLogger(config));
  try {
    return await fn(db.sql);
  } catch (err) {
    throw cliFailure(err);
  } finally {
    await db.close();
  }
}

export function registerRealtimeCommand(program: Command): void {
  const realtime = program.command('realtime').description('choose the tables whose changes realtime subscribers receive');

  realtime.command('enable')
    .description('send the changes of a table to realtime subscribers (again: replaces its events and excluded columns)')
    .argument('<table>', 'the table, or schema.table')
    .option('--schema <schema>', 'the table\'s schema (default: public, or the part before the dot)')
    .option('--events <list>', 'comma-separated events to send: INSERT, UPDATE, DELETE (default: all three)')
    .option('--exclude <columns>', 'comma-separated columns never sent to subscribers')
    .action(async (name: string, opts: { schema?: string; events?: string; exclude?: string }) => {
      try {
        const ref = tableRef(name, opts.schema);
        const events = opts.events === undefined ? undefined : parseEvents(opts.events);
        const exclude = opts.exclude === undefined ? undefined : listOption(opts.exclude, '--exclude', 'column names');
        const entry = await withOwner(program, (sql) => enableTable(sql, { ...ref, events, exclude }));
        const excluded = entry.excluded_columns.length > 0 ? `; excluded columns: ${entry.excluded_columns.join(', ')}` : '';
        console.log(`realtime enabled for ${entry.schema}.${entry.table}: ${entry.events.join(', ')}${excluded}`);
      } catch (err) {
        fail(err);
      }
    });

  realtime.command('disable')
    .description('stop sending the changes of a table (drops its trigger)')
    .argument('<table>', 'the table, or schema.table')
    .option('--schema <schema>', 'the table\'s schema (default: public, or the part before the dot)')
    .action(async (name: string, opts: { schema?: string }) => {
      try {
        const ref = tableRef(name, opts.schema);
        const { wasEnabled } = await withOwner(program, (sql) => disableTable(sql, ref));
        console.log(wasEnabled ? `realtime disabled for ${ref.schema}.${ref.table}` : `realtime was not enabled for ${ref.schema}.${ref.table}; nothing to do`);
      } catch (err) {
        fail(err);
      }
    });

  realtime.command('list')
    .description('list the tables enabled for realtime')
    .option('--all', 'also list entries that no longer capture changes (their table was dropped)')
    .option('--json', 'print JSON')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      try {
        const tables = await withOwner(program, (sql) => listTables(sql, { enabledOnly: !opts.all }));
        if (opts.json) {
          console.log(JSON.stringify(tables));
          return;
        }
        if (tables.length === 0) {
          console.log('no tables are enabled for realtime (enable one with: fluxbase realtime enable <table>)');
          return;
        }
        const headers = ['table', 'events', 'excluded columns', ...(opts.all ? ['enabled'] : []), 'updated at'];
        console.log(table(headers, tables.map((t) => [
          `${t.schema}.${t.table}`, t.events.join(','), t.excluded_columns.join(','), ...(opts.all ? [String(t.realtime_enabled)] : []), cell(t.updated_at),
        ])));
      } catch (err) {
        fail(err);
      }
    });
}
