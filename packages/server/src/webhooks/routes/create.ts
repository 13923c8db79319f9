// POST /api/v1/webhooks {name, url, events, ...} → 201 Webhook + `secret` (shown once).
import type { FastifyInstance } from 'fastify';
import { parseInput } from '../../http/index.ts';
import { webhookView } from '../service.ts';
import { CreateBody } from '../webhook-input.ts';
import { callerOf, WEBHOOKS_PATH, type WebhooksRouteDeps } from './schema.ts';

export function registerWebhooksCreate(app: FastifyInstance, deps: WebhooksRouteDeps): void {
  app.post(WEBHOOKS_PATH, async (request, reply) => {
    const caller = await callerOf(request);
    const body = parseInput(CreateBody, request.body);
    const { row, secret } = await deps.service.create(caller, body);
    return reply.code(201).send({ ...webhookView(row), secret });
  });
}
