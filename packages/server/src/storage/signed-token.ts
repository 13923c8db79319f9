// Signed-URL tokens (API.md §10 "Signed URLs"): an expiring grant for one bucket, key,
// method and transform, authenticated with HMAC-SHA256. The token is
// `<base64url(JSON payload)>.<base64url(MAC)>`; the MAC covers the payload text exactly as
// sent, under a key derived (HKDF-SHA256) from the secret the caller passes, so the secret
// itself is never used for anything else's MACs. This module does no authorisation: the
// sign route checks, under the caller's RLS, that the object may be read or written.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { isCanonicalTransformSpec, type TransformSpec } from './transform-params.ts';

export type SignedMethod = 'GET' | 'PUT';

/** Smallest `expires_in`, seconds. */
export const MIN_EXPIRES_IN = 1;
/** Largest `expires_in`: 7 days. A longer-lived link is a credential nobody remembers to revoke. */
export const MAX_EXPIRES_IN = 7 * 24 * 3600;
/** `expires_in` when the request leaves it out (API.md: 900 s). */
export const DEFAULT_EXPIRES_IN = 900;

/** Tokens longer than this are refused unread (a key is at most a few KB of text). */
const MAX_TOKEN_LENGTH = 16_384;
const PAYLOAD_VERSION = 1;
const MAC_LENGTH = 43; // base64url of 32 bytes, unpadded

export interface GrantRequest {
  bucket: string;
  key: string;
  method: SignedMethod;
  /** A canonical spec from transform-params; GET only. */
  transform?: TransformSpec | undefined;
  /** Seconds, MIN_EXPIRES_IN…MAX_EXPIRES_IN. */
  expiresIn: number;
  /** PUT only: the signing user, who owns what the URL uploads (as Supabase's signed upload URLs). */
  owner?: string | undefined;
}

export interface SignedGrant {
  bucket: string;
  key: string;
  method: SignedMethod;
  transform?: TransformSpec;
  /** Epoch seconds; the token is refused from this instant on. */
  exp: number;
  /** PUT only: the user who signed it, owner of the uploaded object. */
  owner?: string;
}

export type GrantVerification =
  | { ok: true; grant: SignedGrant }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

/** The wire payload: short keys, fixed order. */
interface Payload {
  v: number;
  b: string;
  k: string;
  m: SignedMethod;
  e: number;
  t?: TransformSpec;
  o?: string;
}

/**
 * `expires_in` from a sign request: absent means DEFAULT_EXPIRES_IN; otherwise an integer
 * (JSON number or digit string) from 1 s to 7 days, else a 400 with this message.
 */
export function parseExpiresIn(value: unknown): { ok: true; seconds: number } | { ok: false; field: 'expires_in'; message: string } {
  if (value === undefined || value === null) return { ok: true, seconds: DEFAULT_EXPIRES_IN };
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < MIN_EXPIRES_IN || n > MAX_EXPIRES_IN) {
    return { ok: false, field: 'expires_in', message: `expires_in must be an integer from ${MIN_EXPIRES_IN} to ${MAX_EXPIRES_IN} seconds` };
  }
  return { ok: true, seconds: n };
}

function signingKey(secret: string | Buffer): Buffer {
  if (secret.length === 0) throw new TypeError('the signing secret is empty');
  return Buffer.from(hkdfSync('sha256', secret, 'fluxbase', 'fluxbase-storage-signing v1', 32));
}

function mac(secret: string | Buffer, payloadText: string): string {
  return createHmac('sha256', signingKey(secret)).update(payloadText, 'ascii').digest('base64url');
}

/**
 * Signs a grant valid from `nowMs` for `expiresIn` seconds (at least that long: `exp` is
 * rounded up to the next whole second). Invalid input throws: the route validates first,
 * with parseExpiresIn and the transform parsers.
 */
export function signGrant(request: GrantRequest, secret: string | Buffer, nowMs: number): { token: string; grant: SignedGrant } {
  const { bucket, key, method, transform, expiresIn, owner } = request;
  if (!bucket || !key) throw new TypeError('a signed grant needs a bucket and a key');
  if (method !== 'GET' && method !== 'PUT') throw new TypeError(`a signed grant's method is GET or PUT, not ${String(method)}`);
  if (transform !== undefined && method !== 'GET') throw new TypeError('only a GET grant can carry a transform');
  if (transform !== undefined && !isCanonicalTransformSpec(transform)) throw new TypeError('the transform is not a canonical spec');
  if (owner !== undefined && (method !== 'PUT' || !owner)) throw new TypeError('only a PUT grant carries an owner, and it is not empty');
  if (!Number.isSafeInteger(expiresIn) || expiresIn < MIN_EXPIRES_IN || expiresIn > MAX_EXPIRES_IN) {
    throw new RangeError(`expiresIn must be an integer from ${MIN_EXPIRES_IN} to ${MAX_EXPIRES_IN}`);
  }
  const exp = Math.ceil(nowMs / 1000) + expiresIn;
  const payload: Payload = { v: PAYLOAD_VERSION, b: bucket, k: key, m: method, e: exp };
  if (transform !== undefined) payload.t = transform;
  if (owner !== undefined) payload.o = owner;
  const payloadText = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  const grant: SignedGrant = { bucket, key, method, exp };
  if (transform !== undefined) grant.transform = transform;
  if (owner !== undefined) grant.owner = owner;
  return { token: `${payloadText}.${mac(secret, payloadText)}`, grant };
}

/**
 * Checks the shape, then the MAC (constant time, before the payload is parsed), then the
 * expiry. The route answers every failure with 401 INVALID_SIGNED_URL; `reason` is for logs.
 */
export function verifyGrant(token: unknown, secret: string | Buffer, nowMs: number): GrantVerification {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 2) return { ok: false, reason: 'malformed' };
  const [payloadText, given] = parts as [string, string];
  if (!/^[A-Za-z0-9_-]+$/.test(payloadText) || given.length !== MAC_LENGTH || !/^[A-Za-z0-9_-]+$/.test(given)) {
    return { ok: false, reason: 'malformed' };
  }
  // Compare the base64url text, not decoded bytes: the last character carries two unused
  // bits, and a token whose MAC differs only there must not pass either.
  const expected = Buffer.from(mac(secret, payloadText), 'ascii');
  if (!timingSafeEqual(expected, Buffer.from(given, 'ascii'))) return { ok: false, reason: 'bad_signature' };
  const grant = decodePayload(payloadText);
  if (!grant) return { ok: false, reason: 'malformed' };
  if (nowMs >= grant.exp * 1000) return { ok: false, reason: 'expired' };
  return { ok: true, grant };
}

function decodePayload(payloadText: string): SignedGrant | undefined {
  let p: Partial<Payload>;
  try {
    p = JSON.parse(Buffer.from(payloadText, 'base64url').toString('utf8')) as Partial<Payload>;
  } catch {
    return undefined;
  }
  if (typeof p !== 'object' || p === null || p.v !== PAYLOAD_VERSION) return undefined;
  if (typeof p.b !== 'string' || !p.b || typeof p.k !== 'string' || !p.k) return undefined;
  if (p.m !== 'GET' && p.m !== 'PUT') return undefined;
  if (!Number.isSafeInteger(p.e) || (p.e as number) < 0) return undefined;
  if (p.t !== undefined && (p.m !== 'GET' || !isCanonicalTransformSpec(p.t))) return undefined;
  if (p.o !== undefined && (p.m !== 'PUT' || typeof p.o !== 'string' || !p.o)) return undefined;
  const grant: SignedGrant = { bucket: p.b, key: p.k, method: p.m, exp: p.e as number };
  if (p.t !== undefined) grant.transform = p.t;
  if (p.o !== undefined) grant.owner = p.o;
  return grant;
}
