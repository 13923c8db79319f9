// `fluxbase db new|migrate|status|reset|url`: the project's own migrations
// (docs/migrations.md) and the database's address. `migrate` and `reset` first apply
// Fluxbase's own migrations, so they work on a database no server has started on yet.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import {
  applyUserMigrations, embeddedClusterInfo, loadMigrations, loadUserMigrations, migrateUp, newUserMigration,
  resetUserSchemas, userMigrationStatus, type UserMigration,
} from '../db/index.ts';
import { CliError, cliLogger, fail, globalOptions, loadCliValues, openOwnerDatabase, refreshRunningServer, type OwnerDatabase } from './context.ts';
import { cell, table } from './table.ts';

const relative = (p: string) => path.relative(process.cwd(), p) || '.';

async function applyAll(db: OwnerDatabase, dir: string): Promise<{ applied: UserMigration[]; already: number }> {
  await migrateUp(db.sql, loadMigrations());
  const result = await applyUserMigrations(db.sql, loadUserMigrations(dir), (m, ms) => console.log(`applied ${m.file} (${Math.round(ms)} ms)`));
  return { applied: result.applied, already: result.alreadyApplied };
}

/** After a schema change: have a running server serve it from the next request. */
async function refreshServer(program: Command, config: ReturnType<typeof loadCliValues>): Promise<void> {
  if (await refreshRunningServer(config, globalOptions(program).config)) console.log('the running server reloaded its schema');
}

async function withDatabase<T>(program: Command, fn: (db: OwnerDatabase, config: ReturnType<typeof loadCliValues>) => Promise<T>): Promise<T> {
  const config = loadCliValues(program);
  const db = await openOwnerDatabase(config, cliLogger(config));
  try {
    return await fn(db, config);
  } finally {
    await db.close();
  }
}

export function registerDbCommand(program: Command): void {
  const db = program.command('db').description('the project\'s migrations (migrations.dir, default ./fluxbase/migrations) and the database URL');

  db.command('new')
    .description('create the next migration file, NNNN_<name>.sql, in migrations.dir')
    .argument('<name>', 'what the migration does, e.g. create_todos')
    .action((name: string) => {
      try {
        const config = loadCliValues(program);
        console.log(relative(newUserMigration(config.migrations.dir, name)));
      } catch (err) {
        fail(err);
      }
    });

  db.command('migrate')
    .description('apply the pending migrations in order (the server also does on start)')
    .action(async () => {
      try {
        await withDatabase(program, async (conn, config) => {
          const { applied, already } = await applyAll(conn, config.migrations.dir);
          console.log(applied.length === 0
            ? `no pending migrations (${already} applied, folder ${relative(config.migrations.dir)})`
            : `${applied.length} migration(s) applied, ${already} were already applied`);
          if (applied.length > 0) await refreshServer(program, config);
        });
      } catch (err) {
        fail(err);
      }
    });

  db.command('status')
    .description('list the migrations and whether each is applied')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      try {
        await withDatabase(program, async (conn, config) => {
          await migrateUp(conn.sql, loadMigrations());
          const rows = await userMigrationStatus(conn.sql, loadUserMigrations(config.migrations.dir));
          if (opts.json) {
            console.log(JSON.stringify(rows.map((r) => ({ version: r.version, name: r.name, state: r.state, applied_at: r.appliedAt ?? null }))));
            return;
          }
          if (rows.length === 0) {
            console.log(`no migrations in ${relative(config.migrations.dir)} (create one with: fluxbase db new <name>)`);
            return;
          }
          console.log(table(['version', 'name', 'state', 'applied at'], rows.map((r) => [String(r.version), r.name, r.state, r.appliedAt ? cell(r.appliedAt) : ''])));
          if (rows.some((r) => r.state === 'changed')) console.error('fluxbase: an applied migration was edited: restore it and put the change in a new migration');
        });
      } catch (err) {
        fail(err);
      }
    });

  db.command('reset')
    .description('development only: drop the exposed schemas (public by default) with their data, re-apply the migrations and the seed file')
    .action(async () => {
      try {
        const config = loadCliValues(program);
        if (config.env === 'production') throw new CliError('db reset drops your tables and data and is refused in production (env is production)');
        await withDatabase(program, async (conn) => {
          await migrateUp(conn.sql, loadMigrations());
          await resetUserSchemas(conn.sql, config.api.exposed_schemas);
          console.log(`dropped and re-created ${config.api.exposed_schemas.join(', ')}`);
          const { applied } = await applyAll(conn, config.migrations.dir);
          const seed = config.migrations.seed_file;
          if (existsSync(seed)) {
            await conn.sql.begin((tx) => tx.unsafe(readFileSync(seed, 'utf8')));
            console.log(`seeded from ${relative(seed)}`);
          }
          console.log(`reset done: ${applied.length} migration(s) applied`);
          await refreshServer(program, config);
        });
      } catch (err) {
        fail(err);
      }
    });

  db.command('url')
    .description('print the owner connection URL of the database (for psql, GUI tools and ORMs)')
    .action(() => {
      try {
        const config = loadCliValues(program);
        if (config.database.url) {
          console.log(config.database.url);
          return;
        }
        const info = embeddedClusterInfo(config.data_dir);
        if (!info.url) throw new CliError(`there is no embedded database in ${config.data_dir}: start the server once in this folder (\`npm start\`), or point at its data dir with --data-dir <dir>`);
        console.log(info.url);
        if (!info.running) console.error('fluxbase: the embedded database is not running now; start the server (`npm start`) to connect to it');
      } catch (err) {
        fail(err);
      }
    });
}
