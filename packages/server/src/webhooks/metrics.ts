// Webhook metrics (docs/webhooks.md "Metrics"), registered in the app's registry. The queue
// depth is read from the database (so every instance reports the whole queue), at most once
// per QUEUE_DEPTH_TTL_MS however often Prometheus scrapes. fluxbase_webhook_deliveries_total{status}
// is the wire contract (API.md §14); the duration histogram uses the same label name.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface WebhookMetrics {
  deliveries: Counter<'status'>;
  duration: Histogram<'status'>;
}

const QUEUE_DEPTH_TTL_MS = 5_000;
const BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createWebhookMetrics(registry: Registry, queueDepth: () => Promise<number>): WebhookMetrics {
  const registers = [registry];
  let cached = { at: -Infinity, value: 0 };
  new Gauge({
    name: 'fluxbase_webhook_queue_depth', help: 'Deliveries waiting for an attempt (pending, or failed and due for a retry)', registers,
    async collect() {
      if (performance.now() - cached.at > QUEUE_DEPTH_TTL_MS) cached = { at: performance.now(), value: await queueDepth().catch(() => cached.value) };
      this.set(cached.value);
    },
  });
  return {
    deliveries: new Counter({
      name: 'fluxbase_webhook_deliveries_total', help: 'Delivery attempts by status (success, failed: will retry, dead: out of retries, refused: target not allowed, postponed: target rate limit)',
      labelNames: ['status'], registers,
    }),
    duration: new Histogram({ name: 'fluxbase_webhook_delivery_duration_seconds', help: 'Delivery attempt time, connect to response, by status (success, failed, dead)', labelNames: ['status'], buckets: BUCKETS, registers }),
  };
}
