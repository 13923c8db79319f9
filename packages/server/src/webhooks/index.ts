// Webhooks (docs/webhooks.md; API.md §12): registration routes, the outbox triggers, and the
// delivery workers. app.ts builds it and calls register, start and stop.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import type { RateLimitStore } from '../http/index.ts';
import type { Logger, Metrics } from '../observability/index.ts';
import { createWebhookMetrics } from './metrics.ts';
import { registerWebhooksCreate } from './routes/create.ts';
import { registerWebhooksDelete } from './routes/delete.ts';
import { registerWebhooksDeliveries } from './routes/deliveries.ts';
import { registerWebhooksGet } from './routes/get.ts';
import { registerWebhooksList } from './routes/list.ts';
import { registerWebhooksRotate } from './routes/rotate.ts';
import { registerWebhooksTest } from './routes/test.ts';
import { registerWebhooksUpdate } from './routes/update.ts';
import { WebhooksService } from './service.ts';
import type { Sealer } from './sign-delivery.ts';
import { countDue, deleteOldDeliveries } from './store.ts';
import { DeliveryWorker } from './worker.ts';

export { generateWebhookSecret, legacySignature, signatureHeader } from './signature.ts';
export { WebhooksService, type Caller, type WebhookView } from './service.ts';
export { DeliveryWorker } from './worker.ts';
export { rekeyWebhookSecrets } from './store.ts';

export interface WebhooksDeps {
  config: Config;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  /** AES-256-GCM under encryption_key (the auth subsystem's box, passed by app.ts). */
  sealer: Sealer;
  /** The server's rate-limit counters (the per-URL delivery limit). */
  rateLimitStore: RateLimitStore;
  now?: () => number;
}

export interface Webhooks {
  service: WebhooksService;
  worker: DeliveryWorker;
  register(app: FastifyInstance): void;
  /** Brings the triggers in line with the registrations, then starts delivering. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

const CLEANUP_INTERVAL_MS = 60 * 60_000;

export function createWebhooks(deps: WebhooksDeps): Webhooks {
  const { config, db, logger } = deps;
  const wh = config.webhooks;
  const service = new WebhooksService({ db, sealer: deps.sealer, allowPrivateTargets: wh.allow_private_targets, ...(deps.now ? { now: deps.now } : {}) });
  const metrics = createWebhookMetrics(deps.metrics.registry, () => db.pool.withConnection((sql) => countDue(sql)));
  const worker = new DeliveryWorker({
    db, sealer: deps.sealer, logger, metrics, concurrency: wh.workers, backoffBaseMs: wh.retry_backoff_base, backoffMaxMs: wh.retry_backoff_max,
    perUrl: wh.per_url_rate_limit, limits: deps.rateLimitStore, owner: db.admin, allowPrivateTargets: wh.allow_private_targets, ...(deps.now ? { now: deps.now } : {}),
  });
  let cleanup: NodeJS.Timeout | undefined;
  return {
    service,
    worker,
    register(app) {
      const routeDeps = { service };
      for (const register of [
        registerWebhooksList, registerWebhooksGet, registerWebhooksCreate, registerWebhooksUpdate, registerWebhooksDelete,
        registerWebhooksRotate, registerWebhooksTest, registerWebhooksDeliveries,
      ]) register(app, routeDeps);
    },
    async start() {
      await service.syncTriggers().catch((err: unknown) => logger.warn({ err }, 'webhooks: could not install the outbox triggers'));
      if (!wh.enabled) return;
      await worker.start(db.admin);
      cleanup = setInterval(() => {
        db.pool.withConnection((sql) => deleteOldDeliveries(sql, wh.delivery_retention)).catch((err: unknown) => logger.warn({ err }, 'webhooks: delivery log cleanup failed'));
      }, CLEANUP_INTERVAL_MS);
      cleanup.unref();
    },
    async stop() {
      if (cleanup) clearInterval(cleanup);
      await worker.stop();
    },
  };
}
