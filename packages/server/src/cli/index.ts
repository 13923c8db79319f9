// The `fluxbase` command line: serve (default), keys, db, sql, migrate, types, backup, restore,
// service-keys, encryption-key, realtime, functions, jobs. Exit codes (docs/getting-started.md): 0 done,
// 1 failed (configuration, database, port, a command's error: one line naming the fix),
// 2 wrong usage, 70 an internal fault of a running server.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations, migrateDown, migrateUp, MigrationError } from '../db/index.ts';
import { startServer } from '../main.ts';
import { registerBackupCommand } from './backup/command.ts';
import { registerDbCommand } from './db.ts';
import { CliError, cliLogger, EXIT, fail, globalOptions, loadCliConfig, openOwnerDatabase } from './context.ts';
import { registerEncryptionKeyCommand } from './encryption-key.ts';
import { registerFunctionsCommand } from './functions.ts';
import { registerJobsCommand } from './jobs.ts';
import { registerKeysCommand } from './keys.ts';
import { installFaultHandlers, installSignalHandlers } from './lifecycle.ts';
import { registerRealtimeCommand } from './realtime.ts';
import { registerServiceKeysCommand } from './service-keys.ts';
import { registerSqlCommand } from './sql.ts';
import { typesGenerate, TypesCommandError, type TypesGenerateOptions } from './types.ts';

// Two levels up from src/cli/ and from the bundle's dist/cli/ alike (bin/fluxbase.js).
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Start failures that name their fix instead of a stack trace. */
function startFailure(err: unknown, port: string | number): Error {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') {
    return new CliError(`port ${port} is already in use (another Fluxbase or another program). Use another port: FLUXBASE_SERVER_PORT=<port> npm start, --port <port>, or server.port in fluxbase.yaml`);
  }
  if (e.code === 'EACCES' && e.syscall === 'listen') {
    return new CliError(`not allowed to listen on port ${port}: ports below 1024 need privileges. Use another port: FLUXBASE_SERVER_PORT=<port> (or server.port)`);
  }
  if (e.code === 'EADDRNOTAVAIL') {
    return new CliError(`cannot listen on the configured address: ${e.message}. Check FLUXBASE_SERVER_HOST (server.host)`);
  }
  return err as Error;
}

const program = new Command()
  .name('fluxbase')
  .description('Fluxbase: a Backend-as-a-Service on PostgreSQL')
  .version(version, '-v, --version', 'print the version')
  .addOption(new Option('-c, --config <file>', 'configuration file (default: ./fluxbase.yaml when present)'))
  .addOption(new Option('--data-dir <dir>', 'data directory of the server (default: data_dir, ./.fluxbase)'))
  .showSuggestionAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage));

program
  .command('serve', { isDefault: true })
  .description('start the server (embedded PostgreSQL unless FLUXBASE_DATABASE_URL is set)')
  .option('-p, --port <port>', 'port to listen on (overrides server.port)')
  .argument('[unknown...]')
  .action(async (unknown: string[], opts: { port?: string }) => {
    // `serve` is the default command, so a mistyped command lands here.
    if (unknown.length > 0) {
      console.error(`fluxbase: unknown command '${unknown[0]}' (see fluxbase --help)`);
      process.exit(EXIT.usage);
    }
    const g = globalOptions(program);
    const overrides = {
      ...(opts.port !== undefined ? { server: { port: opts.port } } : {}),
      ...(g.dataDir !== undefined ? { data_dir: g.dataDir } : {}),
    };
    try {
      const server = await startServer({ load: { file: g.config, overrides }, banner: true });
      const log = {
        info: (m: string) => server.logger.info(m),
        warn: (m: string) => server.logger.warn(m),
        error: (o: unknown, m: string) => server.logger.error(o, m),
      };
      installSignalHandlers(server, log);
      installFaultHandlers(server, log, server.metrics.processFaults);
    } catch (err) {
      fail(startFailure(err, opts.port ?? process.env.FLUXBASE_SERVER_PORT ?? 8080));
    }
  });

program
  .command('migrate')
  .description('apply pending migrations, Fluxbase\'s and the project\'s (or revert Fluxbase\'s own with --down) and exit')
  .option('--down <steps>', 'revert the last <steps> of Fluxbase\'s own migrations')
  .action(async (opts: { down?: string }) => {
    try {
      const config = loadCliConfig(program, { generateSecrets: true });
      const logger = cliLogger(config);
      const db = await openOwnerDatabase(config, logger);
      try {
        const migrations = loadMigrations(DEFAULT_MIGRATIONS_DIR);
        if (opts.down !== undefined) {
          const steps = Number(opts.down);
          if (!Number.isInteger(steps) || steps < 1) throw new MigrationError('--down takes a positive number of steps');
          const reverted = await migrateDown(db.sql, migrations, steps);
          for (const m of reverted) console.log(`reverted ${String(m.version).padStart(3, '0')}_${m.name}`);
        } else {
          const result = await migrateUp(db.sql, migrations, (m, ms) => console.log(`applied ${String(m.version).padStart(3, '0')}_${m.name} (${Math.round(ms)} ms)`));
          console.log(`Fluxbase migrations up to date (${result.applied.length} applied now, ${result.alreadyApplied} before); project migrations: fluxbase db migrate`);
        }
      } finally {
        await db.close();
      }
    } catch (err) {
      fail(err);
    }
  });

program
  .command('types')
  .description('generate TypeScript types from the database schema')
  .command('generate')
  .description('write the supabase-js style Database type for the given schemas (to --output or stdout)')
  .option('--db-url <url>', 'read this PostgreSQL database (no config, no migrations) instead of the configured one')
  .option('--schemas <list>', 'comma-separated schemas to generate', 'public')
  .option('--include-functions', 'include SQL functions (default)', true)
  .option('--no-include-functions', 'leave Functions empty')
  .option('--include-views', 'include views and materialized views (default)', true)
  .option('--no-include-views', 'leave Views empty')
  .option('-o, --output <file>', 'write to this file instead of stdout')
  .action(async (opts: TypesGenerateOptions) => {
    try {
      await typesGenerate(opts, globalOptions(program).config);
      if (opts.output !== undefined) console.error(`fluxbase: types written to ${opts.output}`);
    } catch (err) {
      fail(err instanceof TypesCommandError ? new CliError(err.message) : err);
    }
  });

registerKeysCommand(program);
registerDbCommand(program);
registerSqlCommand(program);
registerServiceKeysCommand(program, fail);
registerEncryptionKeyCommand(program);
registerRealtimeCommand(program);
registerFunctionsCommand(program);
registerJobsCommand(program);
registerBackupCommand(program, version);

await program.parseAsync(process.argv);
