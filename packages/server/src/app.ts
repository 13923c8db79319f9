// Builds the Fastify app from the subsystems. Wiring only: no logic lives here.
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/index.ts';
import { migrationsCurrent, type Database, type SchemaCache } from './db/index.ts';
import { registerAdminRoutes } from './admin/index.ts';
import { createRealtime, type RealtimeEngine } from './realtime/index.ts';
import { createAuth, createSecretBox } from './auth/index.ts';
import { createFunctions, hasOwnDeadline, isInvokePath, type Functions } from './functions/index.ts';
import { createJobs, type Jobs } from './jobs/index.ts';
import { createStorage, type Storage } from './storage/index.ts';
import { createGraphql } from './graphql/index.ts';
import { ReadStatementCache, registerRestRoutes, runQueuedRpc } from './rest/index.ts';
import { createWebhooks, type Webhooks } from './webhooks/index.ts';
import {
  createHttpServer, createRateLimitStore, IdempotencyStore, PrincipalResolver, RateLimiter,
  registerHealthRoute, registerMetricsRoute, registerReadyRoute, type SystemStatus,
} from './http/index.ts';
import { noopTracing, type Logger, type Metrics, type Tracing } from './observability/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Send the queued sign-in mail that is due now (auth/email/mail-requests.ts); for tests and tools. */
    drainMail(): Promise<number>;
    /** The realtime engine (tests run its sweeps and wait for deliveries). */
    realtime: RealtimeEngine;
    /** Edge functions: the service and the warm pool (tests stop workers and count them). */
    functions: Functions;
    /** Webhooks: the service and the delivery worker (tests drain it). */
    webhooks: Webhooks;
    /** Jobs: the service, the workers, the scheduler (tests and the shutdown drain them). */
    jobs: Jobs;
    /** Storage: the service and its backend (tests reach the bytes). */
    storage: Storage;
  }
}

export interface AppDeps {
  config: Config;
  db: Database;
  /** Introspected schema (started by main.ts before the app listens). */
  schema: SchemaCache;
  logger: Logger;
  metrics: Metrics;
  /** Tracing (main.ts creates it from tracing.*); default the no-op one. */
  tracing?: Tracing | undefined;
  /** Extra route registrations (tests and benchmarks exercise the pipeline with them). */
  plugins?: ((app: FastifyInstance, deps: AppDeps) => void)[];
  /** Milliseconds since the epoch for time-based codes (TOTP); tests inject a fixed clock. Default Date.now. */
  clock?: (() => number) | undefined;
}

/** /ready answers 503 when the pool cannot run its check within this time (e.g. every slot is stuck). */
const READY_TIMEOUT_MS = 2000;

function systemStatus(db: Database, realtimeHealthy: () => boolean): SystemStatus {
  const embeddedRunning = () => (db.embedded?.status() ?? 'running') === 'running';
  return {
    databaseHealthy: () => db.pool.healthy() && embeddedRunning(),
    embeddedStatus: () => db.embedded?.status(),
    realtimeHealthy,
    poolStats: () => db.pool.stats(),
    async readiness() {
      if (!embeddedRunning()) return { database: false, migrations: false };
      const check = db.pool
        .withConnection((conn) => migrationsCurrent(conn, db.migrations))
        .then((migrations) => ({ database: true, migrations }))
        .catch(() => ({ database: false, migrations: false }));
      const timeout = new Promise<{ database: boolean; migrations: boolean }>((resolve) => {
        setTimeout(() => resolve({ database: false, migrations: false }), READY_TIMEOUT_MS).unref();
      });
      return Promise.race([check, timeout]);
    },
  };
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const { config, db, logger, metrics } = deps;
  const tracing = deps.tracing ?? noopTracing;
  db.pool.tracing = tracing;
  const rl = config.rate_limit;
  const idem = config.idempotency;
  const rateLimitStore = createRateLimitStore(config, logger, { onBackendError: () => metrics.ratelimitBackendErrors.inc() });
  const auth = createAuth({ config, db, logger, metrics, tracing, rateLimitStore, clock: deps.clock });
  const idempotency = idem.enabled ? new IdempotencyStore(db.pool, { ttlMs: idem.ttl, processingTimeoutMs: idem.processing_timeout }) : undefined;
  const principals = new PrincipalResolver({
    jwtSecret: config.auth.jwt_secret,
    leewaySeconds: Math.round(config.auth.jwt_leeway / 1000),
    audience: config.auth.jwt_audience || undefined,
    serviceKeys: auth.serviceKeys,
    revocation: auth.revocation,
    caches: metrics.caches,
  });
  const cors = {
    allowedOrigins: config.cors.allowed_origins, maxAgeSeconds: config.cors.max_age,
    // Functions with their own CORS settings answer their preflights (functions/routes/invoke.ts).
    ...(config.functions.enabled ? { deferPreflight: isInvokePath } : {}),
  };
  const sealer = createSecretBox(config.encryptionKeyBytes);
  const functions = createFunctions({
    config, db, logger, metrics, tracing, sealer, rateLimitStore, cors, ...(deps.clock ? { now: deps.clock } : {}),
  });
  const webhooks = createWebhooks({ config, db, logger, metrics, sealer, rateLimitStore, ...(deps.clock ? { now: deps.clock } : {}) });
  // Job code reaches this server at its own listening address (known once it listens).
  const internal: { url: () => string } = { url: () => config.server.public_url };
  const restDeps = { config, db, schema: deps.schema };
  const jobs = createJobs({
    config, db, logger, metrics, tracing, runtime: functions.runtime, ...functions.forJobs(() => internal.url()),
    rpc: (call, executionId) => runQueuedRpc(restDeps, call, executionId), internalUrl: () => internal.url(),
  });
  const storage = createStorage({ config, db, logger, metrics, ...(deps.clock ? { now: deps.clock } : {}) });
  const realtime = createRealtime({ config, db, schema: deps.schema, logger, metrics, principals, now: deps.clock ?? Date.now, executionLogs: jobs.logs });
  const app = createHttpServer({
    logger,
    metrics,
    bodyLimits: config.server.body_limits,
    cors,
    principals,
    globalRateLimit: rl.enabled ? new RateLimiter('global', rl.global, rateLimitStore, 'Too many requests') : undefined,
    requireApiKey: config.auth.require_api_key,
    trustedProxies: config.server.trusted_proxies,
    timeouts: {
      requestMs: config.server.request_timeout,
      headersMs: config.server.headers_timeout,
      handlerMs: config.server.handler_timeout,
      keepAliveMs: config.server.keep_alive_timeout,
      // Function calls and deploys have deadlines of their own (functions/routes/own-deadline.ts).
      exempt: config.functions.enabled ? hasOwnDeadline : undefined,
    },
    hsts: config.server.public_url.startsWith('https:'),
    idempotency,
    isAdminUser: auth.isAdminUser,
    tracing,
  });
  // Revocation listeners and the mail queue run before the first request and stop with the server.
  app.addHook('onReady', async () => {
    await auth.start();
    await realtime.start();
    await functions.start();
    await webhooks.start();
    await jobs.start();
    storage.start();
  });
  app.decorate('realtime', realtime.engine);
  app.decorate('functions', functions);
  app.decorate('webhooks', webhooks);
  app.decorate('jobs', jobs);
  app.decorate('storage', storage);
  internal.url = () => listeningUrl(app) ?? config.server.public_url;
  app.decorate('drainMail', () => auth.drainMail());
  // Before the server stops accepting: clients get the shutdown frame before their sockets close.
  app.addHook('preClose', async () => {
    await realtime.stop();
  });
  app.addHook('onClose', async () => {
    await jobs.stop();
    await webhooks.stop();
    await functions.stop();
    await storage.close();
    await auth.close();
    await rateLimitStore.close?.();
  });
  if (idempotency) {
    const cleanup = setInterval(() => {
      idempotency.deleteExpired().catch((err: unknown) => logger.warn({ err }, 'idempotency cleanup failed'));
    }, idem.cleanup_interval).unref();
    app.addHook('onClose', (_app, done) => {
      clearInterval(cleanup);
      done();
    });
  }
  db.pool.observer = (operation, seconds) => metrics.dbQueryDuration.observe([operation], seconds);
  const status = systemStatus(db, () => realtime.healthy());
  registerHealthRoute(app, status);
  registerReadyRoute(app, status);
  if (config.metrics.enabled) {
    registerMetricsRoute(app, metrics, status, { path: config.metrics.path, bearerToken: config.metrics.bearer_token });
  }
  const readCache = config.api.statement_cache_size > 0 ? new ReadStatementCache(config.api.statement_cache_size, metrics.caches) : undefined;
  registerRestRoutes(app, { ...restDeps, ...(readCache ? { readCache } : {}), ...(config.jobs.enabled ? { asyncRpc: jobs.asyncRpc } : {}) });
  registerAdminRoutes(app, { config, db, schema: deps.schema });
  auth.register(app);
  realtime.register(app);
  functions.register(app);
  webhooks.register(app);
  jobs.register(app);
  storage.register(app);
  createGraphql({ config, db, schema: deps.schema, metrics, logger, principals, feed: realtime.changeFeed }).register(app);
  for (const plugin of deps.plugins ?? []) plugin(app, deps);
  return app;
}

/** http://127.0.0.1:<port> of the listening server (any-address binds are reached on loopback). */
function listeningUrl(app: FastifyInstance): string | undefined {
  const a = app.server.address();
  if (!a || typeof a !== 'object') return undefined;
  const host = a.address === '0.0.0.0' || a.address === '::' ? '127.0.0.1' : a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `http://${host}:${a.port}`;
}
