// POST /api/v1/webhooks/:id/test → {success, status_code, duration_ms[, error]}: one synchronous
// delivery of a TEST event, signed like any other, not recorded and not retried.
import type { FastifyInstance } from 'fastify';
import { callerOf, webhookId, WEBHOOKS_PATH, type WebhooksRouteDeps } from './schema.ts';

export function registerWebhooksTest(app: FastifyInstance, deps: WebhooksRouteDeps): void {
  app.post(`${WEBHOOKS_PATH}/:id/test`, async (request) => deps.service.test(await callerOf(request), webhookId(request)));
}
