// GET /api/v1/webhooks/:id → Webhook (another user's: 404).
import type { FastifyInstance } from 'fastify';
import { webhookView } from '../service.ts';
import { callerOf, webhookId, WEBHOOKS_PATH, type WebhooksRouteDeps } from './schema.ts';

export function registerWebhooksGet(app: FastifyInstance, deps: WebhooksRouteDeps): void {
  app.get(`${WEBHOOKS_PATH}/:id`, async (request) => webhookView(await deps.service.get(await callerOf(request), webhookId(request))));
}
