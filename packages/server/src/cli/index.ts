// The `fluxbase` command line: serve (default), migrate, keys, types generate.
import { Command, Option } from 'commander';
import { mintApiKeys } from '../auth/index.ts';
import { ConfigError } from '../config/index.ts';
import { DatabaseConnectError, DEFAULT_MIGRATIONS_DIR, loadMigrations, migrateDown, migrateUp, MigrationError, startEmbeddedPostgres } from '../db/index.ts';
import { resolveConfig, startServer } from '../main.ts';
import { createLogger } from '../observability/index.ts';
import { installFaultHandlers, installSignalHandlers } from './lifecycle.ts';
import { registerEncryptionKeyCommand } from './encryption-key.ts';
import { registerServiceKeysCommand } from './service-keys.ts';
import { typesGenerate, TypesCommandError, type TypesGenerateOptions } from './types.ts';
import postgres from 'postgres';

function fail(err: unknown): never {
  if (err instanceof ConfigError || err instanceof MigrationError || err instanceof DatabaseConnectError) {
    console.error(`fluxbase: ${err.message}`);
  } else {
    console.error('fluxbase: failed to start:', err);
  }
  process.exit(1);
}

const program = new Command()
  .name('fluxbase')
  .description('Fluxbase: a Backend-as-a-Service on PostgreSQL')
  .addOption(new Option('-c, --config <file>', 'configuration file (default: ./fluxbase.yaml when present)'));

program
  .command('serve', { isDefault: true })
  .description('start the server (embedded PostgreSQL unless FLUXBASE_DATABASE_URL is set)')
  .option('-p, --port <port>', 'port to listen on (overrides server.port)')
  .action(async (opts: { port?: string }) => {
    try {
      const overrides = opts.port !== undefined ? { server: { port: opts.port } } : undefined;
      const server = await startServer({ load: { file: program.opts<{ config?: string }>().config, overrides }, banner: true });
      const log = {
        info: (m: string) => server.logger.info(m),
        warn: (m: string) => server.logger.warn(m),
        error: (o: unknown, m: string) => server.logger.error(o, m),
      };
      installSignalHandlers(server, log);
      installFaultHandlers(server, log, server.metrics.processFaults);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('migrate')
  .description('apply pending migrations (or revert with --down) and exit')
  .option('--down <steps>', 'revert the last <steps> migrations')
  .action(async (opts: { down?: string }) => {
    try {
      const { config } = resolveConfig({ file: program.opts<{ config?: string }>().config });
      const logger = createLogger({ level: config.logging.level, format: config.logging.format ?? 'json' });
      const embedded = config.database.url ? undefined : await startEmbeddedPostgres({ dataDir: config.data_dir, logger });
      const sql = postgres(config.database.url || embedded!.url, { max: 1, onnotice: () => {} });
      try {
        const migrations = loadMigrations(DEFAULT_MIGRATIONS_DIR);
        if (opts.down !== undefined) {
          const steps = Number(opts.down);
          if (!Number.isInteger(steps) || steps < 1) throw new MigrationError('--down takes a positive number of steps');
          const reverted = await migrateDown(sql, migrations, steps);
          for (const m of reverted) logger.info({ version: m.version, migration: m.name }, 'migration reverted');
        } else {
          const result = await migrateUp(sql, migrations, (m, ms) => logger.info({ version: m.version, migration: m.name, ms: Math.round(ms) }, 'migration applied'));
          logger.info({ applied: result.applied.length, already_applied: result.alreadyApplied }, 'migrations up to date');
        }
      } finally {
        await sql.end({ timeout: 1 });
        await embedded?.stop();
      }
      logger.flush?.();
    } catch (err) {
      fail(err);
    }
  });

program
  .command('keys')
  .description('print the anon and service_role API keys for the configured auth.jwt_secret')
  .option('--json', 'print JSON')
  .action((opts: { json?: boolean }) => {
    try {
      const { config } = resolveConfig({ file: program.opts<{ config?: string }>().config });
      const keys = mintApiKeys(config.auth.jwt_secret);
      if (opts.json) console.log(JSON.stringify(keys));
      else console.log(`anon key:         ${keys.anon}\nservice_role key: ${keys.service_role}`);
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
      await typesGenerate(opts, program.opts<{ config?: string }>().config);
      if (opts.output !== undefined) console.error(`fluxbase: types written to ${opts.output}`);
    } catch (err) {
      if (err instanceof TypesCommandError) {
        console.error(`fluxbase: ${err.message}`);
        process.exit(1);
      }
      fail(err);
    }
  });

registerServiceKeysCommand(program, fail);
registerEncryptionKeyCommand(program);

await program.parseAsync(process.argv);
