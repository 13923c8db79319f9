// HTTP request metrics recorded with plain counters and rendered at scrape time.
// prom-client's labelled Counter/Histogram hash their label set on every observation,
// which measured as a double-digit share of a cheap request; here one Map lookup per
// request finds the series and the rest is array arithmetic.
import type { Registry } from 'prom-client';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  labels: { method: string; route: string; status: string };
  count: number;
  sum: number;
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  buckets: number[];
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

export class HttpMetrics {
  private readonly series = new Map<string, Series>();

  constructor(registry: Registry) {
    const entries = () => [...this.series.values()];
    registry.registerMetric({
      name: 'fluxbase_http_requests_total', help: 'HTTP requests by route pattern and status', type: 'counter',
      get: () => ({
        name: 'fluxbase_http_requests_total', help: 'HTTP requests by route pattern and status', type: 'counter', aggregator: 'sum',
        values: entries().map((s): MetricValue => ({ labels: s.labels, value: s.count })),
      }),
    } as unknown as Parameters<Registry['registerMetric']>[0]);
    registry.registerMetric({
      name: 'fluxbase_http_request_duration_seconds', help: 'HTTP request duration by route pattern and status', type: 'histogram',
      get: () => ({
        name: 'fluxbase_http_request_duration_seconds', help: 'HTTP request duration by route pattern and status', type: 'histogram', aggregator: 'sum',
        values: entries().flatMap((s): MetricValue[] => {
          let cumulative = 0;
          const out: MetricValue[] = BUCKETS.map((le, i) => {
            cumulative += s.buckets[i]!;
            return { labels: { le, ...s.labels }, value: cumulative, metricName: 'fluxbase_http_request_duration_seconds_bucket' };
          });
          out.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: 'fluxbase_http_request_duration_seconds_bucket' });
          out.push({ labels: s.labels, value: s.sum, metricName: 'fluxbase_http_request_duration_seconds_sum' });
          out.push({ labels: s.labels, value: s.count, metricName: 'fluxbase_http_request_duration_seconds_count' });
          return out;
        }),
      }),
    } as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  record(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { method, route, status: String(status) }, count: 0, sum: 0, buckets: new Array<number>(BUCKETS.length + 1).fill(0) };
      this.series.set(key, s);
    }
    s.count++;
    s.sum += seconds;
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++;
    s.buckets[i]!++;
  }
}
