// Prometheus metrics. Each app gets its own registry (several apps may share a process
// in tests and benchmarks); the metric names are documented in docs/getting-started.md
// "Health, readiness, metrics" and docs/operations.md "What to watch".
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { CacheRegistry } from './bounded-cache.ts';
import { HttpMetrics } from './http-metrics.ts';
import { PlainHistogram } from './plain-histogram.ts';

export interface Metrics {
  registry: Registry;
  /** fluxbase_http_requests_total and fluxbase_http_request_duration_seconds. */
  http: HttpMetrics;
  httpInFlight: Gauge;
  /** Source of the in-flight gauge, read at scrape time (set by the HTTP pipeline). */
  readInFlight: () => number;
  /** in_use: held by requests; idle: open in the pool, not held; waiting: requests waiting for one. */
  dbPool: Gauge<'state'>;
  /** fluxbase_db_query_duration_seconds by operation (observe([operation], seconds)). */
  dbQueryDuration: PlainHistogram;
  rateLimitHits: Counter<'limiter'>;
  /** Rate-limit store commands the shared backend (Redis) did not answer (fall back or 503). */
  ratelimitBackendErrors: Counter;
  /** Sign-in attempts by method and result (auth/core/attempts.ts; both fixed sets). */
  authAttempts: Counter<'method' | 'result'>;
  /** Requests answered 504 HANDLER_TIMEOUT (server.handler_timeout). */
  handlerTimeouts: Counter;
  /** Times the pool lost the database (transitions from available). */
  dbUnavailable: Counter;
  /** Connections destroyed because a request held them past server.handler_timeout. */
  dbConnectionsAbandoned: Counter;
  /** Restart attempts of the embedded postmaster by outcome (started, attached, failed, gave_up). */
  embeddedRestarts: Counter<'outcome'>;
  /** 1 while the embedded postmaster runs, 0 while it is down (absent with an external database). */
  embeddedUp: Gauge;
  /** The app's bounded caches (observability/bounded-cache.ts), read at scrape time. */
  caches: CacheRegistry;
  /** Faults no code handled (uncaught_exception, unhandled_rejection): each one is a bug to fix. */
  processFaults: Counter<'kind'>;
}

export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const metrics: Metrics = {
    registry,
    readInFlight: () => 0,
    caches: new CacheRegistry(),
    http: new HttpMetrics(registry),
    httpInFlight: new Gauge({
      name: 'fluxbase_http_requests_in_flight', help: 'HTTP requests being served', registers: [registry],
      collect() {
        this.set(metrics.readInFlight());
      },
    }),
    dbPool: new Gauge({
      name: 'fluxbase_db_pool_connections', help: 'Database pool connections held by requests (in_use), open and not held (idle), and requests waiting for one (waiting)',
      labelNames: ['state'], registers: [registry],
    }),
    dbQueryDuration: new PlainHistogram(registry, {
      name: 'fluxbase_db_query_duration_seconds', help: 'Database transaction duration by operation',
      labelNames: ['operation'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    }),
    rateLimitHits: new Counter({
      name: 'fluxbase_rate_limit_hits_total', help: 'Requests refused by a rate limiter',
      labelNames: ['limiter'], registers: [registry],
    }),
    ratelimitBackendErrors: new Counter({
      name: 'fluxbase_ratelimit_backend_errors_total', help: 'Rate-limit store commands the shared backend (Redis) failed to answer; general limits fell back to per-instance counters, auth limits answered 503',
      registers: [registry],
    }),
    authAttempts: new Counter({
      name: 'fluxbase_auth_attempts_total', help: 'Sign-in attempts by method and result (success, failure, locked, rate_limited, error)',
      labelNames: ['method', 'result'], registers: [registry],
    }),
    handlerTimeouts: new Counter({
      name: 'fluxbase_http_handler_timeouts_total', help: 'Requests answered 504 because they ran past server.handler_timeout', registers: [registry],
    }),
    dbUnavailable: new Counter({
      name: 'fluxbase_db_unavailable_total', help: 'Times the connection pool lost the database', registers: [registry],
    }),
    dbConnectionsAbandoned: new Counter({
      name: 'fluxbase_db_connections_abandoned_total', help: 'Pool connections destroyed because they were held past server.handler_timeout', registers: [registry],
    }),
    embeddedRestarts: new Counter({
      name: 'fluxbase_embedded_postgres_restarts_total', help: 'Restart attempts of the embedded PostgreSQL by outcome',
      labelNames: ['outcome'], registers: [registry],
    }),
    embeddedUp: new Gauge({
      name: 'fluxbase_embedded_postgres_up', help: '1 while the embedded PostgreSQL runs, 0 while it is down or restarting', registers: [registry],
    }),
    processFaults: new Counter({
      name: 'fluxbase_process_faults_total', help: 'Exceptions and promise rejections no code handled (each is a bug)',
      labelNames: ['kind'], registers: [registry],
    }),
  };
  new Counter({
    name: 'fluxbase_cache_lookups_total', help: 'Lookups in a bounded cache by cache and result (hit, miss)',
    labelNames: ['cache', 'result'], registers: [registry],
    collect() {
      this.reset();
      for (const c of metrics.caches.stats()) {
        this.inc({ cache: c.name, result: 'hit' }, c.hits);
        this.inc({ cache: c.name, result: 'miss' }, c.misses);
      }
    },
  });
  new Counter({
    name: 'fluxbase_cache_evictions_total', help: 'Entries a bounded cache dropped to stay within its size (many: the cache is too small)',
    labelNames: ['cache'], registers: [registry],
    collect() {
      this.reset();
      for (const c of metrics.caches.stats()) this.inc({ cache: c.name }, c.evictions);
    },
  });
  new Gauge({
    name: 'fluxbase_cache_entries', help: 'Entries held in a bounded cache', labelNames: ['cache'], registers: [registry],
    collect() {
      this.reset();
      for (const c of metrics.caches.stats()) this.set({ cache: c.name }, c.size);
    },
  });
  return metrics;
}
