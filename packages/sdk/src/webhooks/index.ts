// Webhooks in the SDK (API.md §12): `client.webhooks` to manage them, and signature
// verification for code that receives Fluxbase deliveries (Web Crypto only, usable without a
// client).
export { verifyWebhookSignature } from './verify.ts';
export {
  WebhooksClient,
  type CreateWebhookRequest, type UpdateWebhookRequest, type Webhook, type WebhookDelivery, type WebhookEvent, type WebhookOperation, type WebhookTestResult,
} from './webhooks-client.ts';
