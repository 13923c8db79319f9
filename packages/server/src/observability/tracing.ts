// Tracing (docs/tracing.md): a narrow interface of our own over OpenTelemetry, so the code
// that makes spans (http/, db/, auth/, functions/, jobs/) neither imports the SDK nor pays for
// it when tracing is off. Off (the default) is `noopTracing`: nothing of OpenTelemetry is
// loaded (the SDK comes in by a dynamic import only when `tracing.enabled`), no hooks are
// registered, and hot paths test `tracing.enabled` and go on. On, otel-tracing.ts implements it.
import type { SpanOptions, TraceSpan, Tracing, TracingSettings } from './tracing-types.ts';

export type { Attributes, AttributeValue, SpanOptions, TraceSpan, Tracing, TracingSettings } from './tracing-types.ts';

export const NOOP_SPAN: TraceSpan = Object.freeze({
  recording: false,
  setAttributes() {},
  addEvent() {},
  fail() {},
  end() {},
  traceparent: () => '',
});

/** Tracing off: every method does nothing and loads nothing. */
export const noopTracing: Tracing = Object.freeze({
  enabled: false,
  sampleRequest: () => false,
  startSpan: () => NOOP_SPAN,
  bindRequest() {},
  unbindRequest() {},
  withSpan: <T>(_span: TraceSpan, fn: () => T): T => fn(),
  inSpan: <T>(_name: string, _options: SpanOptions, fn: (span: TraceSpan) => Promise<T>): Promise<T> => fn(NOOP_SPAN),
  traceparent: () => undefined,
  flush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
});

/** The `tracing.*` config keys (config/schema.ts), as this module needs them. */
export interface TracingConfig {
  enabled: boolean;
  otlp_endpoint: string;
  service_name: string;
  sample_rate: number;
}

/** The keys' defaults (config/schema.ts): a key still at its default gives way to OTEL_*. */
export const TRACING_DEFAULTS = { otlp_endpoint: 'http://localhost:4318', service_name: 'fluxbase', sample_rate: 1 } as const;

function tracesUrlOf(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return trimmed.endsWith('/v1/traces') ? trimmed : `${trimmed}/v1/traces`;
}

/**
 * Config keys and the standard OTEL_* variables, resolved (docs/tracing.md "Precedence"):
 * a `tracing.*` key set to something other than its default (in fluxbase.yaml or
 * FLUXBASE_TRACING_*) wins; otherwise OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is),
 * OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces), OTEL_SERVICE_NAME and OTEL_TRACES_SAMPLER_ARG
 * fill in; otherwise the defaults. OTEL_EXPORTER_OTLP_HEADERS is read by the exporter itself.
 */
export function tracingSettings(config: TracingConfig, env: NodeJS.ProcessEnv): TracingSettings {
  const otelTraces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const otelBase = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const tracesUrl = config.otlp_endpoint !== TRACING_DEFAULTS.otlp_endpoint
    ? tracesUrlOf(config.otlp_endpoint)
    : otelTraces ? otelTraces : tracesUrlOf(otelBase || config.otlp_endpoint);
  const serviceName = config.service_name !== TRACING_DEFAULTS.service_name ? config.service_name : env.OTEL_SERVICE_NAME?.trim() || config.service_name;
  let sampleRate = config.sample_rate;
  const arg = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (sampleRate === TRACING_DEFAULTS.sample_rate && arg) {
    const n = Number(arg);
    if (Number.isFinite(n) && n >= 0 && n <= 1) sampleRate = n;
  }
  const delay = Number(env.OTEL_BSP_SCHEDULE_DELAY);
  return { tracesUrl, serviceName, sampleRate, ...(env.OTEL_BSP_SCHEDULE_DELAY && Number.isFinite(delay) && delay >= 0 ? { scheduledDelayMs: delay } : {}) };
}

let sdkLoaded = false;

/** Whether this process has loaded the OpenTelemetry SDK (tests check that tracing off never does). */
export function openTelemetryLoaded(): boolean {
  return sdkLoaded;
}

/**
 * The Tracing for this config: `noopTracing` when tracing is off (nothing imported), else
 * the SDK-backed one. `overrides` replace resolved settings (tests: a short batch delay).
 */
export async function createTracing(config: TracingConfig | undefined, env: NodeJS.ProcessEnv = process.env, overrides: Partial<TracingSettings> = {}): Promise<Tracing> {
  if (!config?.enabled) return noopTracing;
  const { createOtelTracing } = await import('./otel-tracing.ts');
  sdkLoaded = true;
  return createOtelTracing({ ...tracingSettings(config, env), ...overrides });
}
