// Webhook receiving helpers for the SDK (API.md §12): signature verification for code that
// receives Fluxbase deliveries. It uses Web Crypto only and must not import the client.
export { verifyWebhookSignature } from './verify.ts';
