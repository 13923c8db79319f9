// Realtime metrics (docs/realtime.md "Metrics"), registered in the app's registry. Names are
// part of the wire contract and listed in docs/operations.md "What to watch".
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface RealtimeMetrics {
  connections: Gauge;
  subscriptions: Gauge;
  messages: Counter<'type'>;
  queueDepth: Gauge;
  dropped: Counter<'reason'>;
  slowDisconnects: Counter;
  rejections: Counter<'reason'>;
  rlsHits: Counter;
  rlsMisses: Counter;
  deliveryLatency: Histogram;
  notificationLag: Histogram;
  listenerReconnects: Counter;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createRealtimeMetrics(registry: Registry, read: { connections(): number; subscriptions(): number; queueDepth(): number }): RealtimeMetrics {
  const registers = [registry];
  return {
    connections: new Gauge({ name: 'fluxbase_realtime_connections', help: 'Open realtime WebSocket connections', registers, collect() { this.set(read.connections()); } }),
    subscriptions: new Gauge({ name: 'fluxbase_realtime_subscriptions', help: 'Active postgres_changes subscriptions', registers, collect() { this.set(read.subscriptions()); } }),
    messages: new Counter({ name: 'fluxbase_realtime_messages_total', help: 'Frames queued to clients by type', labelNames: ['type'], registers }),
    queueDepth: new Gauge({ name: 'fluxbase_realtime_queue_depth', help: 'Changes waiting in the notification queue', registers, collect() { this.set(read.queueDepth()); } }),
    dropped: new Counter({
      name: 'fluxbase_realtime_dropped_messages_total',
      help: 'Messages dropped: a full client send queue (client_queue_full), a full notification queue (notification_queue_full), or an RLS check that could not run (rls_unavailable)',
      labelNames: ['reason'], registers,
    }),
    slowDisconnects: new Counter({ name: 'fluxbase_realtime_slow_clients_disconnected_total', help: 'Connections closed with 1008 for staying slow', registers }),
    rejections: new Counter({ name: 'fluxbase_realtime_connection_rejections_total', help: 'Connections refused by a limit', labelNames: ['reason'], registers }),
    rlsHits: new Counter({ name: 'fluxbase_realtime_rls_cache_hits_total', help: 'RLS decisions answered from the cache', registers }),
    rlsMisses: new Counter({ name: 'fluxbase_realtime_rls_cache_misses_total', help: 'RLS decisions that needed the database', registers }),
    deliveryLatency: new Histogram({
      name: 'fluxbase_realtime_delivery_latency_seconds', help: 'From the notification arriving to the frame being queued for a client', buckets: LATENCY_BUCKETS, registers,
    }),
    notificationLag: new Histogram({
      name: 'fluxbase_realtime_notification_lag_seconds', help: 'From the change statement (commit_timestamp) to the notification arriving', buckets: LATENCY_BUCKETS, registers,
    }),
    listenerReconnects: new Counter({ name: 'fluxbase_realtime_listener_reconnects_total', help: 'Times a LISTEN connection was re-established', registers }),
  };
}
