// `fluxbase sql "<statements>"` / `fluxbase sql -f file.sql`: run SQL as the database
// owner (no Row Level Security: this is the operator's tool) and print each statement's
// rows as a table, or with --json the last statement's rows as JSON. Several statements
// run as one simple-protocol batch, so they commit or fail together.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, cliLogger, fail, globalOptions, loadCliValues, openOwnerDatabase, refreshRunningServer } from './context.ts';
import { cell, table } from './table.ts';

const DATA_COMMANDS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'SHOW', 'EXPLAIN', 'COPY', 'FETCH', 'VALUES']);

interface ResultSet extends Array<Record<string, unknown>> {
  command?: string;
  count?: number | null;
  columns?: { name: string }[];
}

/** psql-like text for one statement's result: a table for rows, the command tag otherwise. */
export function renderResult(result: ResultSet): string {
  const columns = result.columns?.map((c) => c.name) ?? [];
  if (columns.length > 0) {
    const rows = [...result].map((row) => columns.map((c) => cell(row[c])));
    return `${table(columns, rows)}\n(${rows.length} row${rows.length === 1 ? '' : 's'})`;
  }
  return [result.command ?? 'OK', result.count ?? ''].join(' ').trim();
}

/** " (line N)" for a PostgreSQL error position in `text`, if it has one. */
function lineOf(text: string, position: unknown): string {
  const at = Number(position);
  return Number.isInteger(at) && at > 0 ? ` (line ${text.slice(0, at - 1).split('\n').length})` : '';
}

export function registerSqlCommand(program: Command): void {
  program
    .command('sql')
    .description('run SQL as the database owner and print the results')
    .argument('[statements]', 'SQL to run (quote it for the shell)')
    .option('-f, --file <path>', 'read the SQL from a file instead')
    .option('--json', 'print the rows of the last statement as JSON')
    .action(async (statements: string | undefined, opts: { file?: string; json?: boolean }) => {
      try {
        if ((statements === undefined) === (opts.file === undefined)) {
          throw new CliError('give the SQL either as an argument (fluxbase sql "select 1") or as a file (fluxbase sql -f file.sql)');
        }
        let text: string;
        try {
          text = opts.file !== undefined ? readFileSync(opts.file, 'utf8') : statements!;
        } catch (err) {
          throw new CliError(`cannot read ${opts.file}: ${(err as Error).message}`);
        }
        if (text.trim() === '') throw new CliError('there is no SQL to run');
        const config = loadCliValues(program);
        const db = await openOwnerDatabase(config, cliLogger(config));
        try {
          let out: ResultSet | ResultSet[];
          try {
            out = (await db.sql.unsafe(text)) as unknown as ResultSet | ResultSet[];
          } catch (err) {
            const e = err as { message: string; code?: string; position?: unknown; detail?: string; hint?: string };
            const extra = [e.detail && `DETAIL: ${e.detail}`, e.hint && `HINT: ${e.hint}`].filter(Boolean).join(' ');
            throw new CliError(`ERROR${e.code ? ` ${e.code}` : ''}: ${e.message}${lineOf(text, e.position)}${extra ? ` ${extra}` : ''}`);
          }
          // One statement gives one result; several give an array of results.
          const results: ResultSet[] = Array.isArray(out[0]) ? (out as ResultSet[]) : [out as ResultSet];
          if (opts.json) console.log(JSON.stringify([...(results.at(-1) ?? [])]));
          else console.log(results.map(renderResult).join('\n\n'));
          // DDL (anything but plain data statements): let a running server serve it at once.
          if (results.some((r) => !DATA_COMMANDS.has(r.command ?? ''))) await refreshRunningServer(config, globalOptions(program).config);
        } finally {
          await db.close();
        }
      } catch (err) {
        fail(err);
      }
    });
}
