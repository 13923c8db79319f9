// Opening the database: the embedded server when no URL is configured, the owner
// connection (migrations, setup), and the request pool logged in as the authenticator.
import { createHmac } from 'node:crypto';
import postgres from 'postgres';
import type { Logger, Observer } from '../observability/index.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';
import { redactUrl } from './errors.ts';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations, migrateUp, type Migration } from './migrate.ts';
import { createPool, reconnectBackoff, type Pool } from './pool.ts';
import { applyUserMigrations, loadUserMigrations } from './user-migrations.ts';

export const AUTHENTICATOR_ROLE = 'fluxbase_authenticator';

export interface DatabaseSettings {
  url: string;
  dataDir: string;
  maxConnections: number;
  minConnections: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  poolWaitTimeoutMs: number;
  /** Longest a request may hold a connection (server.handler_timeout); 0 = unbounded. */
  handlerTimeoutMs?: number;
  /** Embedded only: restart attempts after the postmaster exits unexpectedly (0 = unsupervised). */
  embeddedRestartAttempts?: number;
  /** Database events (pool availability, supervision), for logs and metrics. */
  observe?: Observer;
  /** Key from which the authenticator's password is derived (all instances share it). */
  encryptionKey: Buffer;
  migrate?: boolean;
  migrationsDir?: string;
  /** The project's own migrations folder (migrations.dir), applied after Fluxbase's; absent: none. */
  userMigrationsDir?: string | undefined;
}

export interface Database {
  pool: Pool;
  /** Owner connection (small): migrations and setup, never request work. */
  admin: postgres.Sql;
  /** The owner URL actually used (embedded or configured), with password. */
  url: string;
  embedded: EmbeddedPostgres | undefined;
  migrations: Migration[];
  close(timeoutMs?: number): Promise<void>;
}

export class DatabaseConnectError extends Error {
  override name = 'DatabaseConnectError';
}

export function authenticatorPassword(encryptionKey: Buffer): string {
  return createHmac('sha256', encryptionKey).update('fluxbase_authenticator password v1').digest('base64url');
}

function withCredentials(url: string, user: string, password: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    // A multi-host URL (postgres://a,b/db) is valid for the driver but not a URL.
    throw new DatabaseConnectError(
      'database.url must name one host (a multi-host URL is not supported); for failover point it at an address that follows the primary (docs/scaling.md "Read replicas")',
      { cause: err },
    );
  }
  u.username = user;
  u.password = password;
  return u.toString();
}

async function checkReachable(sql: postgres.Sql, url: string): Promise<void> {
  try {
    await sql`select 1`;
  } catch (err) {
    const e = err as { code?: string; message: string };
    throw new DatabaseConnectError(
      `Cannot connect to PostgreSQL at ${redactUrl(url)}: ${e.message}${e.code ? ` (${e.code})` : ''}. ` +
        'Check FLUXBASE_DATABASE_URL (or DATABASE_URL), or unset it to use the embedded database.',
      { cause: err },
    );
  }
}

/** Make sure the pool can log in as the authenticator with the derived password. */
async function ensureAuthenticatorLogin(admin: postgres.Sql, url: string, password: string): Promise<void> {
  const probe = async () => {
    const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
    try {
      await sql`select 1`;
      return true;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === '28P01' || code === '28000') return false; // wrong password / no login yet
      throw err;
    } finally {
      await sql.end({ timeout: 1 });
    }
  };
  if (await probe()) return;
  // Base64url characters only: safe inside a literal. ALTER ROLE takes no parameters.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.unsafe(`alter role ${AUTHENTICATOR_ROLE} with login password '${password}'`);
      break;
    } catch (err) {
      if (attempt >= 3 || (err as { code?: string }).code !== 'XX000') throw err; // "tuple concurrently updated"
    }
  }
  if (!(await probe())) throw new DatabaseConnectError(`the ${AUTHENTICATOR_ROLE} role cannot log in; check pg_hba.conf allows password logins for it`);
}

export async function openDatabase(settings: DatabaseSettings, logger: Logger): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let url = settings.url;
  if (!url) {
    const attempts = settings.embeddedRestartAttempts ?? 0;
    embedded = await startEmbeddedPostgres({
      dataDir: settings.dataDir, logger,
      supervise: attempts > 0 ? { maxAttempts: attempts, observe: settings.observe ?? (() => {}) } : undefined,
    });
    url = embedded.url;
  }
  // The owner connection also carries the LISTEN channels (schema reloads, session
  // revocations): it reconnects as quickly as the pool does after an outage.
  const admin = postgres(url, {
    max: 2, idle_timeout: 30, connect_timeout: Math.ceil(settings.connectTimeoutMs / 1000), onnotice: () => {}, backoff: reconnectBackoff,
  });
  try {
    await checkReachable(admin, url);
    const migrations = loadMigrations(settings.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
    if (settings.migrate !== false) {
      const result = await migrateUp(admin, migrations, (m, ms) => logger.info({ version: m.version, migration: m.name, ms: Math.round(ms) }, 'migration applied'));
      if (result.applied.length === 0) logger.debug({ applied: result.alreadyApplied }, 'migrations up to date');
      if (settings.userMigrationsDir) {
        const own = await applyUserMigrations(admin, loadUserMigrations(settings.userMigrationsDir), (m, ms) => logger.info({ migration: m.file, ms: Math.round(ms) }, 'project migration applied'));
        if (own.applied.length > 0 || own.alreadyApplied > 0) logger.debug({ applied: own.applied.length, already_applied: own.alreadyApplied }, 'project migrations up to date');
      }
    }
    const password = authenticatorPassword(settings.encryptionKey);
    const poolUrl = withCredentials(url, AUTHENTICATOR_ROLE, password);
    await ensureAuthenticatorLogin(admin, poolUrl, password);
    const [versionRow] = await admin<{ version: number }[]>`select current_setting('server_version_num')::int as version`;
    const version = versionRow?.version ?? 0;
    const pool = createPool({
      url: poolUrl,
      max: settings.maxConnections,
      min: settings.minConnections,
      statementTimeoutMs: settings.statementTimeoutMs,
      connectTimeoutMs: settings.connectTimeoutMs,
      poolWaitTimeoutMs: settings.poolWaitTimeoutMs,
      maxHoldMs: settings.handlerTimeoutMs,
      clientCheckIntervalMs: version >= 140000 ? 1000 : undefined,
      observe: settings.observe,
    });
    await pool.warm();
    return {
      pool, admin, url, embedded, migrations,
      async close(timeoutMs = 5000) {
        await pool.close(timeoutMs).catch(() => {});
        await admin.end({ timeout: 1 }).catch(() => {});
        await embedded?.stop();
      },
    };
  } catch (err) {
    await admin.end({ timeout: 1 }).catch(() => {});
    await embedded?.stop();
    throw err;
  }
}
