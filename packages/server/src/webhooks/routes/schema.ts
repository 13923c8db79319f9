// Shared by the webhook routes (API.md §12): their dependencies, the caller, and the `:id` param.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { field, LIMITS, parseInput, requireAdmin } from '../../http/index.ts';
import type { Caller, WebhooksService } from '../service.ts';

export const WEBHOOKS_PATH = '/api/v1/webhooks';

export interface WebhooksRouteDeps {
  service: WebhooksService;
}

const IdParams = z.object({ id: field.requiredParam(LIMITS.name) });

export function webhookId(request: FastifyRequest): string {
  return parseInput(IdParams, request.params, 'params').id;
}

/** Users manage their own webhooks; an admin (service key, service-role JWT, admin user) all of them. */
export async function callerOf(request: FastifyRequest): Promise<Caller> {
  const isAdmin = await requireAdmin(request).then(() => true, () => false);
  return { principal: request.principal, isAdmin };
}
