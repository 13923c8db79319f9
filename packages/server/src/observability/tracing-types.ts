// The Tracing interface (tracing.ts explains it), apart so the SDK-backed implementation
// (otel-tracing.ts) and the loader (tracing.ts) both depend on it and not on each other.

export type AttributeValue = string | number | boolean;
/** Span attributes; undefined values are left out. */
export type Attributes = Record<string, AttributeValue | undefined>;

export interface TraceSpan {
  /** Whether this span is sampled (exported). An unsampled span still carries the trace id onward. */
  readonly recording: boolean;
  setAttributes(attributes: Attributes): void;
  addEvent(name: string, attributes?: Attributes): void;
  /** Records the error as an `exception` event and marks the span failed. */
  fail(error: unknown): void;
  /** Ends the span (later calls do nothing). */
  end(): void;
  /** The W3C `traceparent` of this span, to hand to the next hop (a Deno process, a job row). */
  traceparent(): string;
}

export interface SpanOptions {
  kind?: 'server' | 'client' | 'internal' | 'producer' | 'consumer';
  attributes?: Attributes;
  /**
   * Continue this trace (a `traceparent` value: an incoming request, a stored job submitter)
   * instead of the active span; `null`: start a new trace whatever is active.
   */
  parent?: string | null | undefined;
  /** Only make a span inside a sampled trace (database statements): otherwise the no-op span. */
  requireParent?: boolean;
  /** The caller already decided to sample this trace (`sampleRequest`): the sample rate is not applied again. */
  sampled?: boolean;
  /**
   * The parent is the span of this request (by request id, see `bindRequest`), passed explicitly
   * rather than through the active context; ignored when the request has no span.
   */
  parentRequest?: string | undefined;
}

export interface Tracing {
  readonly enabled: boolean;
  /**
   * Whether an incoming request is traced, decided before any span exists: its `traceparent`'s
   * sampled flag when it sends a valid one, else the sample rate. An unsampled request gets no
   * span and no active context at all, so tracing at 10% costs the other 90% nearly nothing.
   */
  sampleRequest(traceparent: string | undefined): boolean;
  startSpan(name: string, options?: SpanOptions): TraceSpan;
  /**
   * Names `span` as the span of request `id` until `unbindRequest`, for `parentRequest`: the
   * request's database and function spans find their parent through the request id their
   * code already carries, without an AsyncLocalStorage context (which costs every promise of
   * the process on Node 20).
   */
  bindRequest(id: string, span: TraceSpan): void;
  unbindRequest(id: string): void;
  /** Runs `fn` with `span` active: spans started inside it (and in what it awaits) are its children. */
  withSpan<T>(span: TraceSpan, fn: () => T): T;
  /** A span around `fn`: active inside it, failed when it throws, ended when it settles. */
  inSpan<T>(name: string, options: SpanOptions, fn: (span: TraceSpan) => Promise<T>): Promise<T>;
  /** The `traceparent` of the active span (or of request `requestId`'s span), if any. */
  traceparent(requestId?: string): string | undefined;
  /** Exports the finished spans now (tests; the shutdown). */
  flush(): Promise<void>;
  /** Flushes and stops exporting (the server's close path). */
  shutdown(): Promise<void>;
}

/** What otel-tracing.ts is started with, once config and OTEL_* are resolved. */
export interface TracingSettings {
  /** The full OTLP/HTTP traces URL (…/v1/traces). */
  tracesUrl: string;
  serviceName: string;
  sampleRate: number;
  /** How long finished spans wait before a batch is sent (OTEL_BSP_SCHEDULE_DELAY; default 5000 ms). */
  scheduledDelayMs?: number;
}
