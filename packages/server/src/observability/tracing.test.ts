// The traceparent header parser/formatter and how tracing.* keys and OTEL_* variables combine
// (docs/tracing.md "Precedence"). No OpenTelemetry is loaded here.
import { describe, expect, it } from 'vitest';
import { formatTraceparent, parseTraceparent } from './traceparent.ts';
import { createTracing, noopTracing, openTelemetryLoaded, tracingSettings, TRACING_DEFAULTS } from './tracing.ts';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

describe('parseTraceparent', () => {
  it.each([
    [`00-${T}-${S}-01`, { traceId: T, spanId: S, flags: 1 }],
    [`00-${T}-${S}-00`, { traceId: T, spanId: S, flags: 0 }],
    [`00-${T.toUpperCase()}-${S}-01`, { traceId: T, spanId: S, flags: 1 }],
    [`  00-${T}-${S}-03 `, { traceId: T, spanId: S, flags: 3 }],
    // A later version may carry more fields: the first four are read.
    [`01-${T}-${S}-01-extra`, { traceId: T, spanId: S, flags: 1 }],
    [[`00-${T}-${S}-01`, 'ignored'], { traceId: T, spanId: S, flags: 1 }],
  ] as const)('%s', (input, expected) => {
    expect(parseTraceparent(input as string | string[])).toEqual(expected);
  });

  it.each([
    undefined, null, '', 'garbage', `00-${T}-${S}`, `00-${T}-${S}-01-extra`, `ff-${T}-${S}-01`,
    `00-${'0'.repeat(32)}-${S}-01`, `00-${T}-${'0'.repeat(16)}-01`, `00-${T.slice(1)}-${S}-01`, `00-${T}-${S}-0g`,
    `00-${T}-${S}-01${'x'.repeat(600)}`,
  ])('refuses %s', (input) => {
    expect(parseTraceparent(input)).toBeUndefined();
  });

  it('formats version 00 with only the sampled flag', () => {
    expect(formatTraceparent({ traceId: T, spanId: S, flags: 1 })).toBe(`00-${T}-${S}-01`);
    expect(formatTraceparent({ traceId: T, spanId: S, flags: 2 })).toBe(`00-${T}-${S}-00`);
    expect(parseTraceparent(formatTraceparent({ traceId: T, spanId: S, flags: 3 }))).toEqual({ traceId: T, spanId: S, flags: 1 });
  });
});

describe('tracingSettings', () => {
  const defaults = { enabled: true, ...TRACING_DEFAULTS };

  it('uses the defaults with no OTEL_* set', () => {
    expect(tracingSettings(defaults, {})).toEqual({ tracesUrl: 'http://localhost:4318/v1/traces', serviceName: 'fluxbase', sampleRate: 1 });
  });

  it('lets OTEL_* fill in keys left at their defaults', () => {
    expect(tracingSettings(defaults, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/', OTEL_SERVICE_NAME: 'api', OTEL_TRACES_SAMPLER_ARG: '0.25', OTEL_BSP_SCHEDULE_DELAY: '100',
    })).toEqual({ tracesUrl: 'http://collector:4318/v1/traces', serviceName: 'api', sampleRate: 0.25, scheduledDelayMs: 100 });
    // The signal-specific endpoint is used as it is, and wins over the base one.
    expect(tracingSettings(defaults, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/custom' }).tracesUrl)
      .toBe('http://b:9999/custom');
  });

  it('keeps keys set to something other than their default, whatever OTEL_* says', () => {
    const env = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/custom', OTEL_SERVICE_NAME: 'api', OTEL_TRACES_SAMPLER_ARG: '0.25' };
    expect(tracingSettings({ enabled: true, otlp_endpoint: 'http://jaeger:4318', service_name: 'shop', sample_rate: 0.1 }, env))
      .toEqual({ tracesUrl: 'http://jaeger:4318/v1/traces', serviceName: 'shop', sampleRate: 0.1 });
    expect(tracingSettings({ ...defaults, otlp_endpoint: 'http://jaeger:4318/v1/traces' }, {}).tracesUrl).toBe('http://jaeger:4318/v1/traces');
  });

  it('ignores an OTEL_TRACES_SAMPLER_ARG that is not a ratio', () => {
    expect(tracingSettings(defaults, { OTEL_TRACES_SAMPLER_ARG: '2' }).sampleRate).toBe(1);
    expect(tracingSettings(defaults, { OTEL_TRACES_SAMPLER_ARG: 'half' }).sampleRate).toBe(1);
  });
});

describe('createTracing', () => {
  it('is the no-op tracing when off, without loading OpenTelemetry', async () => {
    expect(await createTracing({ enabled: false, ...TRACING_DEFAULTS })).toBe(noopTracing);
    expect(await createTracing(undefined)).toBe(noopTracing);
    expect(openTelemetryLoaded()).toBe(false);
    const seen: number[] = [];
    expect(await noopTracing.inSpan('x', {}, async (span) => {
      span.addEvent('ignored');
      seen.push(1);
      return 7;
    })).toBe(7);
    expect(noopTracing.withSpan(noopTracing.startSpan('y'), () => 8)).toBe(8);
    expect(noopTracing.traceparent()).toBeUndefined();
    expect(seen).toEqual([1]);
  });
});

describe('sampling (tracing on, nothing exported: the endpoint is never reached in these cases)', () => {
  it('applies the rate once: a request sampleRequest kept is recorded whatever its trace id', async () => {
    const tracing = await createTracing({ enabled: true, otlp_endpoint: 'http://127.0.0.1:9', service_name: 't', sample_rate: 0.5 }, {});
    try {
      let kept = 0;
      let recorded = 0;
      for (let i = 0; i < 200; i++) {
        if (!tracing.sampleRequest(undefined)) continue;
        kept++;
        if (tracing.startSpan('GET /x', { kind: 'server', sampled: true, parent: null }).recording) recorded++;
      }
      // Some are kept (all 200 dropped at 0.5: 2^-200), and every kept one is recorded: sampling
      // again by trace id at 0.5 would drop about half of them.
      expect(kept).toBeGreaterThan(0);
      expect(recorded).toBe(kept);
    } finally {
      await tracing.shutdown();
    }
  });

  it('follows the caller\'s flag in traceparent, whatever the rate', async () => {
    const tracing = await createTracing({ enabled: true, otlp_endpoint: 'http://127.0.0.1:9', service_name: 't', sample_rate: 0 }, {});
    try {
      const id = 'ab'.repeat(16);
      expect(tracing.sampleRequest(`00-${id}-${'cd'.repeat(8)}-01`)).toBe(true);
      expect(tracing.sampleRequest(`00-${id}-${'cd'.repeat(8)}-00`)).toBe(false);
      expect(tracing.sampleRequest('garbage')).toBe(false);
    } finally {
      await tracing.shutdown();
    }
  });
});
