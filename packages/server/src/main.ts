// Process entry: config → database → migrations → app → listen. Also the orderly stop:
// stop accepting, let in-flight requests finish (up to server.shutdown_timeout), close the
// pool, stop the embedded database.
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from './app.ts';
import { currentApiKeys, mintApiKeys, type ApiKeys } from './auth/index.ts';
import { ConfigError, loadConfig, resolveSecrets, type Config, type LoadOptions } from './config/index.ts';
import { createSchemaCache, openDatabase, redactUrl, type Database, type SchemaCache } from './db/index.ts';
import { warnIfMultiInstance } from './http/index.ts';
import { createLogger, createMetrics, createObserver, createTracing, type Logger, type Metrics, type Tracing } from './observability/index.ts';

export interface StartOptions {
  /** A resolved config (tests) or how to load one. */
  config?: Config;
  load?: LoadOptions;
  logger?: Logger;
  plugins?: AppDeps['plugins'];
  /** For tests: the clock of time-based codes (TOTP). */
  clock?: AppDeps['clock'];
  /** Print URL, data dir and keys (the CLI does; tests do not). */
  banner?: boolean;
  /** Collect process metrics (off in tests that start many apps in one process). */
  processMetrics?: boolean;
  /** Where OTEL_* variables are read from when tracing is on (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface RunningServer {
  app: FastifyInstance;
  config: Config;
  db: Database;
  schema: SchemaCache;
  logger: Logger;
  metrics: Metrics;
  /** Tracing (docs/tracing.md): the no-op one unless tracing.enabled; `flush()` exports what has ended. */
  tracing: Tracing;
  url: string;
  keys: ApiKeys;
  /** Graceful stop; resolves when everything is closed. Idempotent. */
  close(): Promise<void>;
  /** Immediate stop for a second signal: ask the embedded database to stop and return. */
  stopNow(): void;
  /** Send the queued sign-in mail that is due now and wait for it (the worker does it by itself; tests use it). */
  drainMail(): Promise<number>;
}

export function resolveConfig(load: LoadOptions = {}): { config: Config; generated: string[]; secretsFile: string } {
  const values = loadConfig(load);
  const { config, generated, file } = resolveSecrets(values);
  return { config, generated, secretsFile: file };
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  let config = options.config;
  let generated: string[] = [];
  let secretsFile = '';
  if (!config) ({ config, generated, secretsFile } = resolveConfig(options.load));
  if (config.env === 'production' && !config.email.smtp_url) {
    // Without SMTP, sign-in links, codes and resets would stay in the development outbox.
    throw new ConfigError(['email.smtp_url is required in production: without it sign-in links, codes and password resets would never reach users (set FLUXBASE_EMAIL_SMTP_URL=smtp://user:pass@host:587)']);
  }
  const logger = options.logger ?? createLogger({ level: config.logging.level, format: config.logging.format ?? 'json' });
  if (generated.length > 0) {
    logger.warn({ generated, file: secretsFile }, 'development secrets generated and stored in the data dir; set them explicitly in production');
  }
  if (config.rate_limit.enabled) warnIfMultiInstance(process.env, logger, config.redis.url.trim() !== '');
  const started = performance.now();
  const metrics = createMetrics({ processMetrics: options.processMetrics });
  // Loads OpenTelemetry only when tracing.enabled (a hand-built config may lack the section).
  const tracing = await createTracing(config.tracing, options.env ?? process.env);
  const db = await openDatabase({
    url: config.database.url,
    dataDir: config.data_dir,
    maxConnections: config.database.max_connections,
    minConnections: config.database.min_connections,
    statementTimeoutMs: config.database.statement_timeout,
    connectTimeoutMs: config.database.connect_timeout,
    poolWaitTimeoutMs: config.database.pool_wait_timeout,
    handlerTimeoutMs: config.server.handler_timeout,
    embeddedRestartAttempts: config.database.embedded_restart_attempts,
    observe: createObserver(logger, metrics),
    userMigrationsDir: config.migrations.apply_on_start ? config.migrations.dir : undefined,
    encryptionKey: config.encryptionKeyBytes,
  }, logger);

  let app: FastifyInstance;
  // Always set by loadConfig (127.0.0.1 outside production); a hand-built config may omit it.
  const listenHost = config.server.host ?? '127.0.0.1';
  const schema = createSchemaCache({ sql: db.admin, exposedSchemas: config.api.exposed_schemas, logger });
  try {
    await schema.start();
    app = buildApp({ config, db, schema, logger, metrics, tracing, plugins: options.plugins, clock: options.clock });
    await app.listen({ host: listenHost, port: config.server.port });
  } catch (err) {
    await schema.stop().catch(() => {});
    await db.close();
    await tracing.shutdown();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const host = ['0.0.0.0', '::', '127.0.0.1', '::1'].includes(listenHost) ? 'localhost' : listenHost;
  const url = `http://${host}:${port}`;
  // The keys as valid now (past a service-role revocation); the same on every start otherwise.
  const keys = await currentApiKeys(db.admin, config.auth.jwt_secret).catch(() => mintApiKeys(config.auth.jwt_secret));

  // Keep /health truthful without traffic: probe the database every 5 s.
  const probe = setInterval(() => {
    db.pool.withConnection((c) => c`select 1`).then(() => db.pool.markHealthy(true), () => db.pool.markHealthy(false));
  }, 5000);
  probe.unref();

  if (options.banner) {
    const info: Record<string, unknown> = {
      url, data_dir: config.data_dir, database: db.embedded ? 'embedded' : redactUrl(db.url), ms: Math.round(performance.now() - started),
    };
    if (config.env !== 'production') {
      info.anon_key = keys.anon;
      info.service_role_key = keys.service_role;
    }
    logger.info(info, `Fluxbase is ready at ${url}`);
  }

  let closing: Promise<void> | undefined;
  return {
    app, config, db, schema, logger, metrics, tracing, url, keys,
    close() {
      closing ??= (async () => {
        clearInterval(probe);
        // Running jobs finish first (up to jobs.graceful_shutdown_timeout) while HTTP still
        // serves: their progress, results and SDK calls go through this server (hardening 3.3).
        await app.jobs.drain().catch((err: unknown) => logger.error({ err }, 'jobs: draining failed'));
        const timeoutMs = config.server.shutdown_timeout;
        let timer: NodeJS.Timeout | undefined;
        const forced = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
        });
        // Connections that finish their last in-flight request go idle; close them as they
        // do, or keep-alive would hold the stop until the timeout.
        const idleSweep = setInterval(() => app.server.closeIdleConnections(), 50);
        const outcome = await Promise.race([app.close().then(() => 'closed' as const), forced]);
        clearInterval(idleSweep);
        clearTimeout(timer);
        if (outcome === 'timeout') {
          logger.warn({ timeout_ms: timeoutMs }, 'in-flight requests did not finish in time; closing their connections');
          app.server.closeAllConnections();
        }
        await schema.stop().catch(() => {});
        await db.close();
        // The last spans (the drain, the close) are exported before the process may exit.
        await tracing.shutdown();
      })();
      return closing;
    },
    drainMail: () => app.drainMail(),
    stopNow() {
      clearInterval(probe);
      db.embedded?.stopNow();
    },
  };
}
