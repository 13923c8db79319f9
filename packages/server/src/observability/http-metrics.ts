// HTTP request metrics: fluxbase_http_requests_total and
// fluxbase_http_request_duration_seconds, one plain histogram rendered at scrape time.
import type { Registry } from 'prom-client';
import { PlainHistogram } from './plain-histogram.ts';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class HttpMetrics {
  private readonly histogram: PlainHistogram;

  constructor(registry: Registry) {
    this.histogram = new PlainHistogram(registry, {
      name: 'fluxbase_http_request_duration_seconds', help: 'HTTP request duration by route pattern and status',
      labelNames: ['method', 'route', 'status'], buckets: BUCKETS,
      counter: { name: 'fluxbase_http_requests_total', help: 'HTTP requests by route pattern and status' },
    });
  }

  record(method: string, route: string, status: number, seconds: number): void {
    this.histogram.observe([method, route, String(status)], seconds);
  }
}
