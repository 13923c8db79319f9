// Observability: the logger (pino), Prometheus metrics (prom-client), tracing (our Tracing
// interface; OpenTelemetry is loaded only when tracing is on) and the typed observation union.
// Depends on nothing else in Fluxbase; holds no global state (each app creates its own registry
// and its own Tracing).
export { createLogger, type Logger, type LoggerOptions } from './logger.ts';
export { createMetrics, type Metrics } from './metrics.ts';
export { HttpMetrics } from './http-metrics.ts';
export { BoundedCache, CacheRegistry, type CacheStats } from './bounded-cache.ts';
export type { Observation, Observer } from './events.ts';
export { createObserver } from './observe.ts';
export {
  createTracing, noopTracing, NOOP_SPAN, openTelemetryLoaded, tracingSettings, TRACING_DEFAULTS,
  type Attributes, type AttributeValue, type SpanOptions, type TraceSpan, type Tracing, type TracingConfig, type TracingSettings,
} from './tracing.ts';
export { parseTraceparent, formatTraceparent, type TraceParent } from './traceparent.ts';
