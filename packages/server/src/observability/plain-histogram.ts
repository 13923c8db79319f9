// A histogram (and optionally a counter of the same observations) kept in plain arrays and
// rendered at scrape time. prom-client's labelled Histogram hashes its label set on every
// observation, which measured as a double-digit share of a cheap request (bench/README.md,
// "Why the goals are still missed"); here one Map lookup finds the series and the rest is
// array arithmetic.
import type { Registry } from 'prom-client';

interface Series {
  labels: Record<string, string>;
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

export interface PlainHistogramOptions {
  name: string;
  help: string;
  labelNames: readonly string[];
  buckets: readonly number[];
  /** Also expose the observation count as a counter of this name (e.g. requests_total). */
  counter?: { name: string; help: string };
}

export class PlainHistogram {
  private readonly series = new Map<string, Series>();
  private readonly buckets: readonly number[];
  private readonly labelNames: readonly string[];

  constructor(registry: Registry, options: PlainHistogramOptions) {
    this.buckets = options.buckets;
    this.labelNames = options.labelNames;
    const { name, help, counter } = options;
    const register = (metric: unknown) => registry.registerMetric(metric as Parameters<Registry['registerMetric']>[0]);
    if (counter) {
      register({
        name: counter.name, help: counter.help, type: 'counter',
        get: () => ({
          name: counter.name, help: counter.help, type: 'counter', aggregator: 'sum',
          values: [...this.series.values()].map((s): MetricValue => ({ labels: s.labels, value: s.count })),
        }),
      });
    }
    register({
      name, help, type: 'histogram',
      get: () => ({
        name, help, type: 'histogram', aggregator: 'sum',
        values: [...this.series.values()].flatMap((s): MetricValue[] => {
          let cumulative = 0;
          const out: MetricValue[] = this.buckets.map((le, i) => {
            cumulative += s.buckets[i]!;
            return { labels: { le, ...s.labels }, value: cumulative, metricName: `${name}_bucket` };
          });
          out.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${name}_bucket` });
          out.push({ labels: s.labels, value: s.sum, metricName: `${name}_sum` });
          out.push({ labels: s.labels, value: s.count, metricName: `${name}_count` });
          return out;
        }),
      }),
    });
  }

  /** Record one observation; `values` are the label values in `labelNames` order. */
  observe(values: readonly string[], seconds: number): void {
    const key = values.length === 1 ? values[0]! : values.join('\0');
    let s = this.series.get(key);
    if (!s) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((label, i) => {
        labels[label] = values[i] ?? '';
      });
      s = { labels, count: 0, sum: 0, buckets: new Array<number>(this.buckets.length + 1).fill(0) };
      this.series.set(key, s);
    }
    s.count++;
    s.sum += seconds;
    let i = 0;
    while (i < this.buckets.length && seconds > this.buckets[i]!) i++;
    s.buckets[i]!++;
  }
}
