// DELETE /api/v1/webhooks/:id → 204 (its pending deliveries go with it).
import type { FastifyInstance } from 'fastify';
import { callerOf, webhookId, WEBHOOKS_PATH, type WebhooksRouteDeps } from './schema.ts';

export function registerWebhooksDelete(app: FastifyInstance, deps: WebhooksRouteDeps): void {
  app.delete(`${WEBHOOKS_PATH}/:id`, async (request, reply) => {
    await deps.service.remove(await callerOf(request), webhookId(request));
    return reply.code(204).send();
  });
}
