// Observability: the logger (pino), Prometheus metrics (prom-client) and the typed
// observation union. Depends on nothing else in Fluxbase; holds no global state (each
// app creates its own registry).
export { createLogger, type Logger, type LoggerOptions } from './logger.ts';
export { createMetrics, type Metrics } from './metrics.ts';
export { HttpMetrics } from './http-metrics.ts';
export { BoundedCache, CacheRegistry, type CacheStats } from './bounded-cache.ts';
export type { Observation, Observer } from './events.ts';
export { createObserver } from './observe.ts';
