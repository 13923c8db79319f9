// The W3C Trace Context `traceparent` header (https://www.w3.org/TR/trace-context/):
// `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. Parsed here rather than with the
// SDK's propagator so the untraced path (tracing off) never loads OpenTelemetry, and so a
// stored value (a job's submitter) can be checked before it is trusted.

export interface TraceParent {
  traceId: string;
  spanId: string;
  /** Bit 0: sampled. */
  flags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZERO_TRACE = '0'.repeat(32);
const ALL_ZERO_SPAN = '0'.repeat(16);

/** The parsed header, or undefined when it is absent, malformed, or names an invalid (all-zero) id. */
export function parseTraceparent(value: string | string[] | undefined | null): TraceParent | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (typeof v !== 'string' || v.length > 512) return undefined;
  const m = TRACEPARENT.exec(v.trim().toLowerCase());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  // Version ff is forbidden; version 00 has exactly four fields (later versions may add more).
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ALL_ZERO_TRACE || spanId === ALL_ZERO_SPAN) return undefined;
  return { traceId, spanId, flags: parseInt(flags, 16) };
}

/** `00-<trace>-<span>-<flags>`: only the sampled bit is carried (version 00 defines no other). */
export function formatTraceparent(p: TraceParent): string {
  return `00-${p.traceId}-${p.spanId}-${(p.flags & 1) === 1 ? '01' : '00'}`;
}
