// Checks an `X-Fluxbase-Signature` header (API.md §12) with Web Crypto only, so a receiver on
// any runtime (browser, Deno, Bun, Node 20+, edge workers) can use it.

const encoder = new TextEncoder();

interface ParsedHeader { timestamp: number; signatures: string[] }

// `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`; unknown keys are skipped so a future scheme (v2=)
// can be added without breaking receivers.
function parseHeader(header: string): ParsedHeader | null {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== null || !/^\d{1,12}$/.test(value)) return null;
      timestamp = Number(value);
    } else if (key === 'v1' && /^[0-9a-fA-F]{64}$/.test(value)) {
      signatures.push(value.toLowerCase());
    }
  }
  return timestamp === null || signatures.length === 0 ? null : { timestamp, signatures };
}

function toHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

// Time depends only on the length, not on where the strings first differ.
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * True when `header` carries a v1 signature of `payload` (the raw request body, before any
 * JSON parsing) made with `secret`, and its timestamp is within `toleranceSeconds`
 * (default 300) of `now()` in either direction. Any of several v1 entries may match, which
 * keeps receivers working while a secret is being rotated.
 */
export async function verifyWebhookSignature(
  payload: string | Uint8Array,
  header: string | null | undefined,
  secret: string,
  toleranceSeconds = 300,
  now: () => number = Date.now,
): Promise<boolean> {
  if (typeof header !== 'string' || secret === '') return false;
  const parsed = parseHeader(header);
  if (parsed === null) return false;
  if (Math.abs(now() / 1000 - parsed.timestamp) > toleranceSeconds) return false;

  const prefix = encoder.encode(`${parsed.timestamp}.`);
  const body = typeof payload === 'string' ? encoder.encode(payload) : payload;
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix);
  message.set(body, prefix.length);

  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const expected = toHex(await crypto.subtle.sign('HMAC', key, message));
  let matched = false;
  for (const signature of parsed.signatures) matched = constantTimeEqual(signature, expected) || matched;
  return matched;
}
