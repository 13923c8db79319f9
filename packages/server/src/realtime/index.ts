// Realtime (docs/realtime.md): table change feeds under RLS, broadcast and presence over
// WebSocket at /realtime. The engine (engine/) holds connections, subscriptions, the change
// feed and fan-out; the protocol adapter (protocol/) speaks the Fluxbase frames; capture/
// installs the change trigger on enabled tables; routes/ holds the REST routes.
import type { FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import type { Config } from '../config/index.ts';
import type { Database, SchemaCache } from '../db/index.ts';
import type { PrincipalResolver } from '../http/index.ts';
import type { Logger, Metrics } from '../observability/index.ts';
import { CHANGE_CHANNEL_PREFIX, CHANGE_PARTITIONS, deleteOldPayloads, fetchLargePayload, loadEnabled, REGISTRY_CHANNEL } from './capture/index.ts';
import { PostgresBus, RedisBus } from './engine/bus.ts';
import { RealtimeEngine } from './engine/engine.ts';
import { createRealtimeMetrics } from './engine/metrics.ts';
import { PolicyRlsChecker, type RlsChecker } from './engine/rls.ts';
import { createChangeFeed, type ChangeFeed } from './protocol/graphql-feed.ts';
import { registerRealtimeSocket, type ExecutionLogs } from './protocol/socket.ts';
import { registerRealtimeAdminRoutes } from './routes/admin-tables.ts';
import { registerBroadcastRoute } from './routes/broadcast.ts';
import { registerStatsRoute } from './routes/stats.ts';

export { RealtimeEngine, RealtimeError } from './engine/engine.ts';
export type { ExecutionLogEvent, ExecutionLogs } from './protocol/socket.ts';
export type { RlsChecker } from './engine/rls.ts';
export { createChangeFeed, type ChangeFeed, type ChangeFeedOptions, type FeedConnection, type FeedError, type FeedEvent } from './protocol/graphql-feed.ts';
export { CHANGE_EVENTS, enableTable, disableTable, listTables, type ChangeEvent, type TableRef } from './capture/index.ts';
export { APPLICATION_NAME as LISTENER_APPLICATION_NAME, channelsOf } from './engine/listener-pool.ts';

export interface RealtimeDeps {
  config: Config;
  db: Database;
  schema: SchemaCache;
  logger: Logger;
  metrics: Metrics;
  principals: PrincipalResolver;
  now: () => number;
  /** Replace the RLS checker (tests count its statements). */
  rls?: RlsChecker;
  /** Live execution logs for subscribe_logs (the jobs subsystem's). */
  executionLogs?: ExecutionLogs | undefined;
}

/** Large change payloads are kept this long for instances that fetch them late. */
const PAYLOAD_RETENTION_SECONDS = 600;

export interface Realtime {
  engine: RealtimeEngine;
  /** Table changes for GraphQL subscriptions (graphql/feed.ts), over this engine: same RLS, limits and expiry. */
  changeFeed: ChangeFeed;
  register(app: FastifyInstance): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  healthy(): boolean;
}

export function createRealtime(deps: RealtimeDeps): Realtime {
  const { config, db, logger } = deps;
  const rt = config.realtime;
  const pool = db.pool;
  // The gauges read the engine at scrape time; the engine needs the metrics to be built.
  const holder: { engine?: RealtimeEngine } = {};
  const metrics = createRealtimeMetrics(deps.metrics.registry, {
    connections: () => holder.engine?.connections.size ?? 0,
    subscriptions: () => holder.engine?.subscriptionCount ?? 0,
    queueDepth: () => holder.engine?.queueDepth ?? 0,
  });
  const rls = deps.rls ?? new PolicyRlsChecker({
    pool, cacheSize: rt.rls_cache_size, cacheTtlMs: rt.rls_cache_ttl, now: deps.now,
    onHit: (n) => metrics.rlsHits.inc(n), onMiss: (n) => metrics.rlsMisses.inc(n),
  });
  const bus = config.redis.url ? new RedisBus(config.redis.url, logger) : new PostgresBus(pool, logger);
  const e = new RealtimeEngine({
    limits: {
      maxConnections: rt.max_connections,
      maxConnectionsPerUser: rt.max_connections_per_user,
      maxConnectionsPerIp: rt.max_connections_per_ip,
      maxSubscriptionsPerConnection: rt.max_subscriptions_per_connection,
      notificationQueueSize: rt.notification_queue_size,
      notificationWorkers: rt.notification_workers,
      listenerPoolSize: rt.listener_pool_size,
      clientQueueSize: rt.client_message_queue_size,
      slowClientThreshold: rt.slow_client_threshold,
      slowClientTimeoutMs: rt.slow_client_timeout,
    },
    listenUrl: db.url,
    connectTimeoutMs: config.database.connect_timeout,
    channelPrefix: CHANGE_CHANNEL_PREFIX,
    partitions: CHANGE_PARTITIONS,
    registryChannel: REGISTRY_CHANNEL,
    schema: deps.schema,
    rls,
    bus,
    metrics,
    logger,
    now: deps.now,
    loadRegistry: () => pool.withConnection((conn) => loadEnabled(conn)),
    fetchLargePayload: (id) => pool.withConnection((conn) => fetchLargePayload(conn, id)),
    deleteOldPayloads: () => pool.withConnection((conn) => deleteOldPayloads(conn, PAYLOAD_RETENTION_SECONDS)),
    leewaySeconds: Math.round(config.auth.jwt_leeway / 1000),
  });
  holder.engine = e;
  let socket: { close(): void } | undefined;
  const changeFeed = createChangeFeed(e, { principals: deps.principals, revalidateIntervalMs: rt.heartbeat_interval, metrics, logger });
  return {
    engine: e,
    changeFeed,
    register(app) {
      if (rt.enabled) {
        void app.register(websocket, { options: { maxPayload: rt.max_message_size * 4 } });
        void app.register(async (scope) => {
          socket = registerRealtimeSocket(scope, {
            engine: e, principals: deps.principals, metrics, maxMessageSize: rt.max_message_size,
            pingIntervalMs: rt.ping_interval, pongTimeoutMs: rt.pong_timeout, heartbeatIntervalMs: rt.heartbeat_interval, now: deps.now,
            executionLogs: deps.executionLogs,
          });
        });
        registerBroadcastRoute(app, e);
        registerStatsRoute(app, e);
      }
      registerRealtimeAdminRoutes(app, { db, ...(rt.enabled ? { registryChanged: () => e.refreshRegistry() } : {}) });
    },
    async start() {
      if (rt.enabled) await e.start();
    },
    async stop() {
      socket?.close();
      if (rt.enabled) await e.stop();
    },
    healthy: () => !rt.enabled || e.healthy(),
  };
}
