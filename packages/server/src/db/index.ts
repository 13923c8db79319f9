// Database: embedded PostgreSQL, the pool (logged in as the authenticator), the
// per-request transaction context, and the migrations runner. Knows nothing of HTTP:
// it must not import Fastify or anything from http/ and above.
export { openDatabase, authenticatorPassword, AUTHENTICATOR_ROLE, DatabaseConnectError, type Database, type DatabaseSettings } from './database.ts';
export { fallbackClusterDir, lookupPostgresUser, reachableBy, type PgUser } from './os-user.ts';
export { startEmbeddedPostgres, embeddedClusterInfo, freePort, type EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded.ts';
export { superviseEmbedded, defaultBackoffMs, type Postmaster, type Supervisor, type SupervisorOptions, type SupervisorStatus } from './embedded-supervisor.ts';
export { inTransaction } from './transaction.ts';
export { createPool, reconnectBackoff, type Pool, type PoolOptions, type PoolStats, type Sql, type ReservedSql } from './pool.ts';
export { withRequestTx, contextParams, CONTEXT_SQL, type DbRole, type RequestContext, type TxOptions, type QueryObserver } from './context.ts';
export {
  loadMigrations, migrateUp, migrateDown, migrationsCurrent, MigrationError, DEFAULT_MIGRATIONS_DIR,
  type Migration, type MigrateResult,
} from './migrate.ts';
export {
  loadUserMigrations, userMigrationStatus, applyUserMigrations, newUserMigration, resetUserSchemas, fileNameOf,
  type UserMigration, type UserMigrationStatus, type UserMigrateResult,
} from './user-migrations.ts';
export { DatabaseUnavailableError, isUnavailable, isUnavailableSqlState, redactUrl } from './errors.ts';
export * from './schema/index.ts';
