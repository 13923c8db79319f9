// `client.webhooks`: register and manage webhooks (API.md §12; docs/webhooks.md). A signed-in
// user manages their own (scope "user": changes of rows they own); an admin credential sees
// all and may register scope "global". `create` and `rotateSecret` return the secret once.
import { arrayResult, emptyResult, objectResult } from '../result-shape.ts';
import type { FluxbaseResult, Transport } from '../transport.ts';

export type WebhookOperation = 'INSERT' | 'UPDATE' | 'DELETE' | '*';

export interface WebhookEvent {
  /** "schema.table", or "table" for public.table. */
  table: string;
  operations: WebhookOperation[];
}

export interface Webhook {
  id: string;
  name: string;
  description: string | null;
  url: string;
  events: WebhookEvent[];
  enabled: boolean;
  headers: Record<string, string>;
  timeout_seconds: number;
  max_retries: number;
  scope: 'user' | 'global';
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface CreateWebhookRequest {
  name: string;
  url: string;
  events: WebhookEvent[];
  description?: string;
  /** Default: a generated `whsec_…`. */
  secret?: string;
  enabled?: boolean;
  headers?: Record<string, string>;
  timeout_seconds?: number;
  max_retries?: number;
  scope?: 'user' | 'global';
}

export type UpdateWebhookRequest = Partial<Omit<CreateWebhookRequest, 'secret' | 'description'>> & { description?: string | null };

export interface WebhookDelivery {
  id: string;
  webhook_id: string;
  event_id: string;
  event: string;
  payload: Record<string, unknown>;
  status: 'pending' | 'success' | 'failed' | 'dead';
  status_code: number | null;
  response_body: string | null;
  error: string | null;
  attempt: number;
  next_retry_at: string | null;
  delivered_at: string | null;
  created_at: string;
}

export interface WebhookTestResult {
  success: boolean;
  status_code: number | null;
  duration_ms: number;
  error?: string;
}

const PATH = '/api/v1/webhooks';
const one = (id: string) => `${PATH}/${encodeURIComponent(id)}`;

export class WebhooksClient {
  private readonly transport: Transport;

  /** Built by createClient. */
  constructor(transport: Transport) {
    this.transport = transport;
  }

  list(): Promise<FluxbaseResult<Webhook[]>> {
    return arrayResult(this.transport('GET', PATH), 'a webhook list');
  }

  get(id: string): Promise<FluxbaseResult<Webhook>> {
    return objectResult(this.transport('GET', one(id)), 'a webhook');
  }

  /** The webhook and its `secret`, shown only this once. */
  create(webhook: CreateWebhookRequest): Promise<FluxbaseResult<Webhook & { secret: string }>> {
    return objectResult(this.transport('POST', PATH, { body: webhook }), 'a webhook');
  }

  update(id: string, fields: UpdateWebhookRequest): Promise<FluxbaseResult<Webhook>> {
    return objectResult(this.transport('PATCH', one(id), { body: fields }), 'a webhook');
  }

  delete(id: string): Promise<FluxbaseResult<null>> {
    return emptyResult(this.transport('DELETE', one(id)));
  }

  /** A new secret; the previous one keeps signing for `gracePeriodHours` (default 24). */
  rotateSecret(id: string, gracePeriodHours?: number): Promise<FluxbaseResult<{ secret: string; previous_secret_expires_at: string }>> {
    return objectResult(this.transport('POST', `${one(id)}/rotate-secret`, { body: gracePeriodHours === undefined ? {} : { grace_period_hours: gracePeriodHours } }), 'a rotated secret');
  }

  /** Sends one signed TEST event now. */
  test(id: string): Promise<FluxbaseResult<WebhookTestResult>> {
    return objectResult(this.transport('POST', `${one(id)}/test`, { body: {} }), 'a test result');
  }

  /** The delivery log, newest first. */
  deliveries(id: string, options: { limit?: number } = {}): Promise<FluxbaseResult<WebhookDelivery[]>> {
    return arrayResult(this.transport('GET', `${one(id)}/deliveries`, { query: { limit: options.limit } }), 'a delivery list');
  }
}
