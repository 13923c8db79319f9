// What every `fluxbase` command shares: the global options, the configuration resolved
// exactly as `serve` resolves it (fluxbase.yaml or --config, FLUXBASE_* variables,
// --data-dir) without ever generating secrets, the owner connection to the database
// (attaching to the embedded one, or starting it for the command), and one way to fail:
// one line on stderr naming the fix, and an exit code (docs/getting-started.md "The command line").
import type { Command } from 'commander';
import postgres from 'postgres';
import { mintApiKeys } from '../auth/index.ts';
import { ConfigError, findJwtSecret, loadConfig, resolveSecrets, SecretsNotFoundError, type Config, type ConfigValues } from '../config/index.ts';
import { DatabaseConnectError, embeddedClusterInfo, MigrationError, redactUrl, startEmbeddedPostgres } from '../db/index.ts';
import { createLogger, type Logger } from '../observability/index.ts';

/** A failure the user can fix; printed as one line. */
export class CliError extends Error {
  override name = 'CliError';
}

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
}

export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70 } as const;

export function globalOptions(program: Command): GlobalOptions {
  return program.opts<GlobalOptions>();
}

/** The configuration as `serve` resolves it, without the secrets (for commands that need none). */
export function loadCliValues(program: Command): ConfigValues {
  const g = globalOptions(program);
  return loadConfig({ file: g.config, overrides: g.dataDir !== undefined ? { data_dir: g.dataDir } : {} });
}

/** The configuration with its secrets; `generateSecrets` only where the server itself would. */
export function loadCliConfig(program: Command, options: { generateSecrets?: boolean } = {}): Config {
  return resolveSecrets(loadCliValues(program), { generate: options.generateSecrets ?? false, configFile: globalOptions(program).config }).config;
}

/** A quiet logger on stderr: stdout is for the command's output. */
export function cliLogger(config?: ConfigValues): Logger {
  return createLogger({ level: config?.logging.level === 'debug' ? 'debug' : 'warn', format: 'json', destination: process.stderr });
}

export interface OwnerDatabase {
  url: string;
  sql: postgres.Sql;
  close(): Promise<void>;
}

/**
 * The owner connection: the configured database, or the embedded one of the data dir
 * (attached to if the server runs, else started for the command and stopped after). A data
 * dir without an embedded database is refused rather than initialised in the wrong place.
 */
export async function openOwnerDatabase(config: ConfigValues, logger: Logger): Promise<OwnerDatabase> {
  if (config.database.url) {
    const sql = postgres(config.database.url, { max: 1, connect_timeout: 10, onnotice: () => {} });
    try {
      await sql`select 1`;
    } catch (err) {
      await sql.end({ timeout: 1 }).catch(() => {});
      throw new CliError(`cannot connect to PostgreSQL at ${redactUrl(config.database.url)}: ${(err as Error).message}. Check FLUXBASE_DATABASE_URL.`);
    }
    return { url: config.database.url, sql, close: () => sql.end({ timeout: 5 }) };
  }
  if (!embeddedClusterInfo(config.data_dir).initialised) {
    throw new CliError(
      `there is no embedded database in ${config.data_dir}: start the server once in this folder (\`npm start\` / \`fluxbase serve\`), ` +
        'or point at its data dir with --data-dir <dir>, or set FLUXBASE_DATABASE_URL for an external PostgreSQL.',
    );
  }
  const embedded = await startEmbeddedPostgres({ dataDir: config.data_dir, logger });
  const sql = postgres(embedded.url, { max: 1, onnotice: () => {} });
  return {
    url: embedded.url,
    sql,
    async close() {
      await sql.end({ timeout: 5 });
      await embedded.stop(); // a no-op when we attached to the server's
    },
  };
}

/** The URL clients use: server.public_url, or localhost with the configured port when public_url is the default. */
export function clientUrl(config: ConfigValues): string {
  return config.server.public_url === 'http://localhost:8080' ? `http://localhost:${config.server.port}` : config.server.public_url.replace(/\/+$/, '');
}

/**
 * Ask the server configured here, if it runs, to reload its schema cache now, so a table
 * a command just created is served by the next request (the server also reloads by
 * itself after DDL, a moment later). Best effort: silent when no server answers.
 */
export async function refreshRunningServer(config: ConfigValues, configFile: string | undefined): Promise<boolean> {
  let secret: string;
  try {
    secret = findJwtSecret(config, configFile);
  } catch {
    return false;
  }
  try {
    const res = await fetch(`${clientUrl(config)}/api/v1/admin/schema/refresh`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${mintApiKeys(secret).service_role}` },
      signal: AbortSignal.timeout(3000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/** Print a failure as one line (no stack unless FLUXBASE_DEBUG is set) and exit. */
export function fail(err: unknown, code: number = EXIT.failed): never {
  const known = err instanceof CliError || err instanceof ConfigError || err instanceof MigrationError
    || err instanceof DatabaseConnectError || err instanceof SecretsNotFoundError;
  const message = (err as Error)?.message ?? String(err);
  console.error(`fluxbase: ${known ? message : `failed: ${message}`}`);
  if (!known && process.env.FLUXBASE_DEBUG) console.error(err);
  process.exit(code);
}
