// The headers of one delivery attempt (API.md §12 "Delivery"): the custom headers first, so
// the server's own always win, then the signature over the exact body sent, with one v1= per
// live secret (the current one, and the previous one during a rotation's grace period),
// newest first, and the legacy header signed with the current secret.
import { legacySignature, signatureHeader } from './signature.ts';

/** AES-256-GCM under encryption_key (the auth subsystem's box, passed by app.ts). */
export interface Sealer {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

export interface SigningKeys {
  headers: Record<string, string>;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | null;
}

export function deliveryHeaders(
  hook: SigningKeys,
  o: { eventId: string; event: string; body: string; nowSeconds: number; open: (sealed: string) => string },
): Record<string, string> {
  const current = o.open(hook.secret_enc);
  const secrets = [current];
  if (hook.previous_secret_enc !== null && hook.previous_secret_expires_at !== null && hook.previous_secret_expires_at.getTime() > o.nowSeconds * 1000) {
    secrets.push(o.open(hook.previous_secret_enc));
  }
  return {
    ...hook.headers,
    'Content-Type': 'application/json',
    'User-Agent': 'Fluxbase-Webhooks/1.0',
    'X-Fluxbase-Event': o.event,
    'X-Fluxbase-Delivery': o.eventId,
    'X-Fluxbase-Signature': signatureHeader(o.body, secrets, o.nowSeconds),
    'X-Webhook-Signature': legacySignature(o.body, current),
  };
}
