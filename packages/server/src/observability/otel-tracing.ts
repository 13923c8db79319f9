// Tracing on (tracing.ts loads this module only then): an OpenTelemetry TracerProvider with
// ParentBased(TraceIdRatio(sample_rate)), a BatchSpanProcessor and the OTLP/HTTP exporter
// (JSON). The active span lives in an AsyncLocalStorage of this instance, not in the API's
// global context manager, so several servers in one process (tests) do not share it and the
// SDK needs no global registration (nor @opentelemetry/context-async-hooks).
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  createContextKey, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Attributes as OtelAttributes,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler, TracerProvider, type Sampler, type SamplingResult,
} from '@opentelemetry/sdk-trace';
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

/** Set on the parent context of a root span whose request was already sampled (Tracing.sampleRequest). */
const DECIDED = createContextKey('fluxbase.sampled_by_request');

/**
 * ParentBased(TraceIdRatio) except for a root the request tracing already sampled: the rate must
 * be applied once, not twice (0.1 × 0.1 would keep 1% of requests).
 */
function requestAwareSampler(rate: number): Sampler {
  const inner = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(rate) });
  const sampled: SamplingResult = { decision: SamplingDecision.RECORD_AND_SAMPLED };
  return {
    shouldSample: (context, ...rest) => (context.getValue(DECIDED) === true ? sampled : inner.shouldSample(context, ...rest)),
    toString: () => `RequestAware{${inner.toString()}}`,
  };
}

export function createOtelTracing(settings: TracingSettings): Tracing {
  const exporter = new OTLPTraceExporter({ url: settings.tracesUrl });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    sampler: requestAwareSampler(settings.sampleRate),
    spanProcessors: [new BatchSpanProcessor({ exporter, ...(settings.scheduledDelayMs !== undefined ? { scheduledDelayMillis: settings.scheduledDelayMs } : {}) })],
  });
  const tracer = provider.getTracer('fluxbase');
  const store = new AsyncLocalStorage<Context>();
  const active = (): Context => store.getStore() ?? ROOT_CONTEXT;
  let stopped: Promise<void> | undefined;

  const rate = settings.sampleRate;
  /** Sampled requests' spans by request id (request-tracing binds and unbinds them). */
  const requests = new Map<string, OtelSpan>();
  /**
   * Scopes running inside store.run. When the last ends, the store is disabled: on Node 20 an
   * enabled AsyncLocalStorage hooks every promise of the process (~10% of a REST read), so it
   * is on only while a context is actually in use (auth and job routes, job runs).
   */
  let scopes = 0;
  const leave = () => {
    if (--scopes === 0) store.disable();
  };
  const tracing: Tracing = {
    enabled: true,
    sampleRequest(header: string | undefined): boolean {
      const incoming = header === undefined ? undefined : parseTraceparent(header);
      if (incoming) return (incoming.flags & 1) === 1;
      return rate >= 1 || (rate > 0 && Math.random() < rate);
    },
    startSpan(name: string, options: SpanOptions = {}): TraceSpan {
      let parent: Context;
      const byRequest = options.parentRequest === undefined ? undefined : requests.get(options.parentRequest);
      if (byRequest) parent = trace.setSpan(ROOT_CONTEXT, byRequest.span);
      else if (options.parent === null) parent = ROOT_CONTEXT;
      else if (options.parent !== undefined) parent = remoteContext(options.parent) ?? ROOT_CONTEXT;
      else parent = active();
      if (options.requireParent && !trace.getSpan(parent)?.isRecording()) return NOOP_SPAN_WRAPPER;
      if (options.sampled === true) parent = parent.setValue(DECIDED, true);
      const attributes = clean(options.attributes);
      return new OtelSpan(tracer.startSpan(name, { kind: KINDS[options.kind ?? 'internal'], ...(attributes ? { attributes } : {}) }, parent));
    },
    withSpan<T>(span: TraceSpan, fn: () => T): T {
      // An unsampled span is not made active: what runs inside makes no spans of its own.
      if (!(span instanceof OtelSpan) || !span.recording) return fn();
      scopes++;
      let result: T;
      try {
        result = store.run(trace.setSpan(active(), span.span), fn);
      } catch (err) {
        leave();
        throw err;
      }
      if (result instanceof Promise) return result.finally(leave) as T;
      leave();
      return result;
    },
    bindRequest(id: string, span: TraceSpan): void {
      if (span instanceof OtelSpan && span.recording) requests.set(id, span);
    },
    unbindRequest(id: string): void {
      requests.delete(id);
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
    traceparent(requestId?: string): string | undefined {
      const bound = requestId === undefined ? undefined : requests.get(requestId);
      if (bound) return bound.traceparent();
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
