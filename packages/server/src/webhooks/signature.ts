// Webhook secrets and the signature headers receivers check (API.md §12). The key is the
// whole secret string as UTF-8, `whsec_` prefix included, the same bytes the SDK's
// verifyWebhookSignature uses.
import { createHmac, randomBytes } from 'node:crypto';

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function hmacHex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}

/**
 * `X-Fluxbase-Signature`: `t=<t>,v1=<hex>` with one v1 per secret in the order given (newest
 * first during a rotation's grace period). The timestamp is signed with the body so a
 * captured delivery cannot be replayed once it is older than the receiver's tolerance.
 */
export function signatureHeader(body: string, secrets: string[], timestampSeconds: number): string {
  if (secrets.length === 0) throw new Error('signatureHeader needs at least one secret');
  const t = Math.floor(timestampSeconds);
  return [`t=${t}`, ...secrets.map((secret) => `v1=${hmacHex(secret, `${t}.${body}`)}`)].join(',');
}

/** `X-Webhook-Signature`: the body alone, for receivers written before timestamps. */
export function legacySignature(body: string, secret: string): string {
  return hmacHex(secret, body);
}
