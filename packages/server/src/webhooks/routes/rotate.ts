// POST /api/v1/webhooks/:id/rotate-secret {grace_period_hours? (24)} → {secret, previous_secret_expires_at}.
import type { FastifyInstance } from 'fastify';
import { parseInput } from '../../http/index.ts';
import { RotateBody } from '../webhook-input.ts';
import { callerOf, webhookId, WEBHOOKS_PATH, type WebhooksRouteDeps } from './schema.ts';

export function registerWebhooksRotate(app: FastifyInstance, deps: WebhooksRouteDeps): void {
  app.post(`${WEBHOOKS_PATH}/:id/rotate-secret`, async (request) => {
    const caller = await callerOf(request);
    const id = webhookId(request);
    const body = parseInput(RotateBody, request.body ?? {});
    return deps.service.rotate(caller, id, body.grace_period_hours ?? 24);
  });
}
