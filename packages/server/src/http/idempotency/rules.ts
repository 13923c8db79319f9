// Idempotency rules (docs/rest.md "Idempotency keys"), pure (no SQL, no Fastify) so they
// are unit-tested without a database or a server.
import { createHash } from 'node:crypto';
import { AppError } from '../errors/index.ts';
import type { Principal } from '../principal.ts';

export const MAX_KEY_LENGTH = 256;
const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Response headers a replay carries; everything else (Set-Cookie, Date, rate-limit, ...) is not stored. */
const STORED_HEADERS: ReadonlySet<string> = new Set([
  'content-type', 'content-range', 'content-location', 'location', 'etag', 'preference-applied',
  'x-affected-count', 'x-next-cursor', 'x-fluxbase-execution-id',
]);
const COUNT_HEADER = /^x-[a-z0-9-]+-count$/;

/** A keyed request: its scope and key, and the fingerprint a reuse of the key is compared on. */
export interface IdempotentRequest {
  scope: string;
  key: string;
  method: string;
  /** Path and query string, as sent. */
  path: string;
  /** SHA-256 of the raw body (of '' when there is none). */
  bodyHash: Buffer;
}

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | null;
}

/** A stored row as the store reads it after losing the claim. */
export interface ExistingKey {
  method: string;
  path: string;
  body_hash: Buffer;
  state: 'processing' | 'completed';
  status: number | null;
  headers: Record<string, string> | null;
  body: Buffer | null;
}

/** Routes the feature applies to: /api/v1 and /rest/v1, never /api/v1/auth (its responses hold tokens). */
export function idempotencyApplies(url: string): boolean {
  if (url.startsWith('/rest/v1/')) return true;
  return url.startsWith('/api/v1/') && !url.startsWith('/api/v1/auth/');
}

/** Methods that claim a key (writes); on other methods the header is validated and otherwise ignored. */
export function idempotencyAppliesToMethod(method: string): boolean {
  return WRITE_METHODS.has(method);
}

/** The key from the header, or a 400 when it is empty or over 256 characters. */
export function validateKey(header: string | string[]): string {
  const key = Array.isArray(header) ? header.join(', ') : header;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new AppError('IDEMPOTENCY_KEY_TOO_LONG', {
      message: `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters (got ${key.length})`,
      details: { max_length: MAX_KEY_LENGTH, length: key.length },
    });
  }
  return key;
}

/** Whose key it is: one caller can never see another's stored response. */
export function scopeOf(principal: Principal, ip: string): string {
  if (principal.keyId !== undefined) return `key:${principal.keyId}`;
  if (principal.userId !== null) return `user:${principal.userId}`;
  if (principal.role === 'service_role') return 'service_role';
  // anon, or a token without a subject: the client address is all that tells callers apart.
  return `${principal.role}:${ip}`;
}

/** The request as the store claims and compares it: method, URL as sent (path + query string) and body hash. */
export function idempotentRequest(input: {
  scope: string; key: string; method: string; url: string; rawBody: string | undefined; body: unknown;
}): IdempotentRequest {
  return { scope: input.scope, key: input.key, method: input.method, path: input.url, bodyHash: hashBody(input.rawBody, input.body) };
}

/** SHA-256 of the body as received; other parsers' bodies are hashed as best they can be. */
export function hashBody(raw: string | undefined, parsed: unknown): Buffer {
  const hash = createHash('sha256');
  if (raw !== undefined) hash.update(raw);
  else if (typeof parsed === 'string' || Buffer.isBuffer(parsed)) hash.update(parsed);
  else if (parsed !== undefined && parsed !== null && !isStream(parsed)) hash.update(JSON.stringify(parsed));
  return hash.digest();
}

/** What a request meets when its key is already taken: a 422, a 409, or the stored response. */
export function decide(existing: ExistingKey, request: IdempotentRequest): StoredResponse {
  if (existing.method !== request.method || existing.path !== request.path) {
    throw new AppError('IDEMPOTENCY_KEY_MISMATCH', {
      message: 'This Idempotency-Key was already used with another method or URL',
      details: { original_method: existing.method, original_path: existing.path, current_method: request.method, current_path: request.path },
    });
  }
  if (!existing.body_hash.equals(request.bodyHash)) {
    throw new AppError('IDEMPOTENCY_REQUEST_BODY_MISMATCH', { message: 'This Idempotency-Key was already used with a different request body' });
  }
  if (existing.state === 'processing' || existing.status === null) throw requestInProgress();
  return { status: existing.status, headers: existing.headers ?? {}, body: existing.body };
}

/** The 409 for a key whose request is still running. */
export function requestInProgress(): AppError {
  return new AppError('IDEMPOTENCY_REQUEST_IN_PROGRESS', {
    message: 'A request with this Idempotency-Key is still being processed',
    hint: 'Retry in a few seconds',
    headers: { 'Retry-After': '1' },
  });
}

/** 5xx, 401 and 429 say "try again": the key is released instead of stored. */
export function shouldStore(status: number): boolean {
  return status < 500 && status !== 401 && status !== 429;
}

export function pickHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || (!STORED_HEADERS.has(lower) && !COUNT_HEADER.test(lower))) continue;
    out[lower] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** The bytes of a response payload; undefined for a stream (not stored: the key is released). */
export function payloadBytes(payload: unknown): Buffer | null | undefined {
  if (payload === null || payload === undefined) return null;
  if (Buffer.isBuffer(payload)) return payload;
  if (typeof payload === 'string') return Buffer.from(payload);
  return undefined;
}

function isStream(value: unknown): boolean {
  return typeof (value as { pipe?: unknown }).pipe === 'function';
}
