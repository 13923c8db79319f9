// Tracing on (tracing.ts loads this module only then): an OpenTelemetry TracerProvider with
// ParentBased(TraceIdRatio(sample_rate)), a BatchSpanProcessor and the OTLP/HTTP exporter
// (JSON). The active span lives in an AsyncLocalStorage of this instance, not in the API's
// global context manager, so several servers in one process (tests) do not share it and the
// SDK needs no global registration (nor @opentelemetry/context-async-hooks).
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Attributes as OtelAttributes,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { formatTraceparent, parseTraceparent } from './traceparent.ts';
import type { Attributes, SpanOptions, TraceSpan, Tracing, TracingSettings } from './tracing-types.ts';

const KINDS = {
  server: SpanKind.SERVER, client: SpanKind.CLIENT, internal: SpanKind.INTERNAL, producer: SpanKind.PRODUCER, consumer: SpanKind.CONSUMER,
} as const;

function clean(attributes: Attributes | undefined): OtelAttributes | undefined {
  if (!attributes) return undefined;
  const out: OtelAttributes = {};
  for (const [k, v] of Object.entries(attributes)) if (v !== undefined) out[k] = v;
  return out;
}

class OtelSpan implements TraceSpan {
  private ended = false;
  constructor(readonly span: Span) {}

  get recording(): boolean {
    return this.span.isRecording();
  }

  setAttributes(attributes: Attributes): void {
    if (this.recording) this.span.setAttributes(clean(attributes)!);
  }

  addEvent(name: string, attributes?: Attributes): void {
    if (this.recording) this.span.addEvent(name, clean(attributes));
  }

  fail(error: unknown): void {
    if (!this.recording) return;
    const e = error instanceof Error ? error : new Error(String(error));
    this.span.recordException(e);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.span.end();
  }

  traceparent(): string {
    const c = this.span.spanContext();
    return formatTraceparent({ traceId: c.traceId, spanId: c.spanId, flags: c.traceFlags });
  }
}

/** A remote parent from a traceparent value, or undefined when it does not parse. */
function remoteContext(value: string): Context | undefined {
  const p = parseTraceparent(value);
  if (!p) return undefined;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: p.traceId, spanId: p.spanId, traceFlags: p.flags & 1, isRemote: true });
}

const NOOP_SPAN_WRAPPER = new OtelSpan(trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 }));

export function createOtelTracing(settings: TracingSettings): Tracing {
  const exporter = new OTLPTraceExporter({ url: settings.tracesUrl });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRate) }),
    spanProcessors: [new BatchSpanProcessor({ exporter, ...(settings.scheduledDelayMs !== undefined ? { scheduledDelayMillis: settings.scheduledDelayMs } : {}) })],
  });
  const tracer = provider.getTracer('fluxbase');
  const store = new AsyncLocalStorage<Context>();
  const active = (): Context => store.getStore() ?? ROOT_CONTEXT;
  let stopped: Promise<void> | undefined;

  const rate = settings.sampleRate;
  const tracing: Tracing = {
    enabled: true,
    sampleRequest(header: string | undefined): boolean {
      const incoming = header === undefined ? undefined : parseTraceparent(header);
      if (incoming) return (incoming.flags & 1) === 1;
      return rate >= 1 || (rate > 0 && Math.random() < rate);
    },
    startSpan(name: string, options: SpanOptions = {}): TraceSpan {
      let parent: Context;
      if (options.parent === null) parent = ROOT_CONTEXT;
      else if (options.parent !== undefined) parent = remoteContext(options.parent) ?? ROOT_CONTEXT;
      else parent = active();
      if (options.requireParent && !trace.getSpan(parent)?.isRecording()) return NOOP_SPAN_WRAPPER;
      const attributes = clean(options.attributes);
      return new OtelSpan(tracer.startSpan(name, { kind: KINDS[options.kind ?? 'internal'], ...(attributes ? { attributes } : {}) }, parent));
    },
    withSpan<T>(span: TraceSpan, fn: () => T): T {
      // An unsampled span is not made active: what runs inside makes no spans of its own.
      if (!(span instanceof OtelSpan) || !span.recording) return fn();
      return store.run(trace.setSpan(active(), span.span), fn);
    },
    async inSpan<T>(name: string, options: SpanOptions, fn: (span: TraceSpan) => Promise<T>): Promise<T> {
      const span = tracing.startSpan(name, options);
      if (!span.recording) {
        span.end();
        return fn(span);
      }
      try {
        return await tracing.withSpan(span, () => fn(span));
      } catch (err) {
        span.fail(err);
        throw err;
      } finally {
        span.end();
      }
    },
    traceparent(): string | undefined {
      const span = trace.getSpan(active());
      if (!span) return undefined;
      const c = span.spanContext();
      return formatTraceparent({ traceId: c.traceId, spanId: c.spanId, flags: c.traceFlags });
    },
    flush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= provider.shutdown().catch(() => {});
      return stopped;
    },
  };
  return tracing;
}
