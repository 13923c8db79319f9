// PATCH /api/v1/webhooks/:id {any field} → Webhook.
import type { FastifyInstance } from 'fastify';
import { parseInput } from '../../http/index.ts';
import { webhookView } from '../service.ts';
import { UpdateBody } from '../webhook-input.ts';
import { callerOf, webhookId, WEBHOOKS_PATH, type WebhooksRouteDeps } from './schema.ts';

export function registerWebhooksUpdate(app: FastifyInstance, deps: WebhooksRouteDeps): void {
  app.patch(`${WEBHOOKS_PATH}/:id`, async (request) => {
    const caller = await callerOf(request);
    const id = webhookId(request);
    return webhookView(await deps.service.update(caller, id, parseInput(UpdateBody, request.body ?? {})));
  });
}
