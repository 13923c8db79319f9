// GET /api/v1/webhooks/:id/deliveries?limit=50 → [Delivery], newest first.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../../http/index.ts';
import { callerOf, webhookId, WEBHOOKS_PATH, type WebhooksRouteDeps } from './schema.ts';

const Query = z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() });

export function registerWebhooksDeliveries(app: FastifyInstance, deps: WebhooksRouteDeps): void {
  app.get(`${WEBHOOKS_PATH}/:id/deliveries`, async (request) => {
    const caller = await callerOf(request);
    const id = webhookId(request);
    const { limit } = parseInput(Query, request.query, 'query');
    return deps.service.deliveries(caller, id, limit ?? 50);
  });
}
