// GET /api/v1/webhooks → [Webhook]: a user's own, or every webhook for an admin.
import type { FastifyInstance } from 'fastify';
import { webhookView } from '../service.ts';
import { callerOf, WEBHOOKS_PATH, type WebhooksRouteDeps } from './schema.ts';

export function registerWebhooksList(app: FastifyInstance, deps: WebhooksRouteDeps): void {
  app.get(WEBHOOKS_PATH, async (request) => (await deps.service.list(await callerOf(request))).map(webhookView));
}
