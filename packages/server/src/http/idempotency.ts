// Idempotency-Key (API.md §5.6): the first write with a key claims a row in
// fluxbase.idempotency_keys, its response is stored on send, and a retry with the same key
// from the same principal gets that response replayed. Keys are scoped per principal
// (API.md §16 item 11). State lives in PostgreSQL so every instance shares it; the store
// runs on its own pool connection, outside any user transaction.
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onResponseHookHandler, onSendHookHandler, preHandlerHookHandler, RouteOptions } from 'fastify';
import type { Pool, ReservedSql } from '../db/index.ts';
import { AppError } from './errors/index.ts';
import type { Principal } from './principal.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body as received, kept only when an Idempotency-Key is sent (for its hash). */
    rawBody?: string;
  }
}

export const MAX_KEY_LENGTH = 256;
const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Response headers a replay carries; everything else (Set-Cookie, Date, rate-limit, ...) is not stored. */
const STORED_HEADERS: ReadonlySet<string> = new Set([
  'content-type', 'content-range', 'content-location', 'location', 'etag', 'preference-applied',
  'x-affected-count', 'x-next-cursor', 'x-fluxbase-execution-id',
]);
const COUNT_HEADER = /^x-[a-z0-9-]+-count$/;
/** How often begin() retries when the row it saw vanished (released or expired) meanwhile. */
const BEGIN_ATTEMPTS = 3;

export interface IdempotencyOptions {
  /** How long a completed response is replayed (`idempotency.ttl`, default 24 h). */
  ttlMs: number;
  /** A `processing` claim older than this is taken over (`idempotency.processing_timeout`, default 60 s). */
  processingTimeoutMs: number;
}

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

/** The right to run a request: `lockId` proves it, so a taken-over claim cannot overwrite its successor. */
export interface Claim {
  scope: string;
  key: string;
  lockId: string;
}

export type BeginResult = { kind: 'claimed'; claim: Claim } | { kind: 'replay'; response: StoredResponse };

/** A stored row as begin() reads it after losing the insert. */
export interface ExistingKey {
  method: string;
  path: string;
  body_hash: Buffer;
  state: 'processing' | 'completed';
  status: number | null;
  headers: Record<string, string> | null;
  body: Buffer | null;
}

// ── pure parts ───────────────────────────────────────────────────────────────

/** Routes the feature applies to: /api/v1 and /rest/v1, never /api/v1/auth (its responses hold tokens). */
export function idempotencyApplies(url: string): boolean {
  if (url.startsWith('/rest/v1/')) return true;
  return url.startsWith('/api/v1/') && !url.startsWith('/api/v1/auth/');
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

/** SHA-256 of the body as received; other parsers' bodies are hashed as best they can be. */
export function hashBody(raw: string | undefined, parsed: unknown): Buffer {
  const hash = createHash('sha256');
  if (raw !== undefined) hash.update(raw);
  else if (typeof parsed === 'string' || Buffer.isBuffer(parsed)) hash.update(parsed);
  else if (parsed !== undefined && parsed !== null && !isStream(parsed)) hash.update(JSON.stringify(parsed));
  return hash.digest();
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

/** The bytes of an onSend payload; undefined for a stream (not stored: the key is released). */
export function payloadBytes(payload: unknown): Buffer | null | undefined {
  if (payload === null || payload === undefined) return null;
  if (Buffer.isBuffer(payload)) return payload;
  if (typeof payload === 'string') return Buffer.from(payload);
  return undefined;
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
  if (existing.state === 'processing' || existing.status === null) throw inProgress();
  return { status: existing.status, headers: existing.headers ?? {}, body: existing.body };
}

function inProgress(): AppError {
  return new AppError('IDEMPOTENCY_REQUEST_IN_PROGRESS', {
    message: 'A request with this Idempotency-Key is still being processed',
    hint: 'Retry in a few seconds',
    headers: { 'Retry-After': '1' },
  });
}

function isStream(value: unknown): boolean {
  return typeof (value as { pipe?: unknown }).pipe === 'function';
}

// ── the store ────────────────────────────────────────────────────────────────

export class IdempotencyStore {
  constructor(private readonly pool: Pool, private readonly options: IdempotencyOptions) {}

  /** Claim the key, or meet the request that already holds it (throws the 409/422 AppErrors). */
  begin(request: IdempotentRequest): Promise<BeginResult> {
    return this.pool.withConnection(async (conn) => {
      for (let attempt = 0; attempt < BEGIN_ATTEMPTS; attempt++) {
        const lockId = randomUUID();
        if (await this.tryClaim(conn, request, lockId)) return { kind: 'claimed', claim: { scope: request.scope, key: request.key, lockId } };
        const [existing] = await conn<(ExistingKey & { expired: boolean })[]>`
          select method, path, body_hash, state, status, headers, body, expires_at <= now() as expired
          from fluxbase.idempotency_keys where scope = ${request.scope} and key = ${request.key}`;
        if (existing !== undefined && !existing.expired) return { kind: 'replay', response: decide(existing, request) };
        // Released or expired between the two statements: claim again.
      }
      throw inProgress(); // the key keeps changing hands: let the client come back
    });
  }

  /**
   * One atomic statement: insert, or replace an expired row, or take over a processing
   * row of the same request older than the processing timeout. Concurrent callers
   * serialise on the row, so exactly one of them gets a row back.
   */
  private async tryClaim(conn: ReservedSql, r: IdempotentRequest, lockId: string): Promise<boolean> {
    const rows = await conn`
      insert into fluxbase.idempotency_keys as k (scope, key, method, path, body_hash, state, lock_id, expires_at)
      values (${r.scope}, ${r.key}, ${r.method}, ${r.path}, ${r.bodyHash}, 'processing', ${lockId}::uuid,
              now() + interval '1 millisecond' * ${this.options.ttlMs}::float8)
      on conflict (scope, key) do update
        set method = excluded.method, path = excluded.path, body_hash = excluded.body_hash, state = 'processing',
            lock_id = excluded.lock_id, status = null, headers = null, body = null,
            created_at = now(), updated_at = now(), expires_at = excluded.expires_at
        where k.expires_at <= now()
           or (k.state = 'processing' and k.updated_at < now() - interval '1 millisecond' * ${this.options.processingTimeoutMs}::float8
               and k.method = excluded.method and k.path = excluded.path and k.body_hash = excluded.body_hash)
      returning 1`;
    return rows.length === 1;
  }

  /** Store the response; a claim that was taken over meanwhile changes nothing. */
  async complete(claim: Claim, response: StoredResponse): Promise<void> {
    await this.pool.withConnection((conn) => conn`
      update fluxbase.idempotency_keys
      set state = 'completed', status = ${response.status}, headers = ${conn.json(response.headers)}, body = ${response.body},
          updated_at = now(), expires_at = now() + interval '1 millisecond' * ${this.options.ttlMs}::float8
      where scope = ${claim.scope} and key = ${claim.key} and lock_id = ${claim.lockId}::uuid and state = 'processing'`);
  }

  /** Forget the claim so a retry runs the request again. */
  async release(claim: Claim): Promise<void> {
    await this.pool.withConnection((conn) => conn`
      delete from fluxbase.idempotency_keys
      where scope = ${claim.scope} and key = ${claim.key} and lock_id = ${claim.lockId}::uuid and state = 'processing'`);
  }

  /** Delete expired rows in batches (short statements, no long lock); returns how many. */
  async deleteExpired(batchSize = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.pool.withConnection((conn) => conn`
        delete from fluxbase.idempotency_keys where ctid = any(array(
          select ctid from fluxbase.idempotency_keys where expires_at <= now() limit ${batchSize}))
        returning 1`);
      total += rows.length;
      if (rows.length < batchSize) return total;
    }
  }
}

// ── the hooks the pipeline attaches to matching routes ───────────────────────

const CLAIM = Symbol('fluxbase.idempotencyClaim');
type ClaimedRequest = FastifyRequest & { [CLAIM]?: Claim | undefined };

export interface IdempotencyHooks {
  /** Runs right after authentication: needs the principal for the scope. */
  preHandler: preHandlerHookHandler;
  /** Adds the response side (store on send, release as a safety net) to a route. */
  addResponseHooks(route: RouteOptions): void;
}

function sendReplay(reply: FastifyReply, response: StoredResponse): void {
  reply.code(response.status).headers(response.headers).header('Idempotency-Replayed', 'true');
  void reply.send(response.body ?? undefined);
}

export function idempotencyHooks(store: IdempotencyStore): IdempotencyHooks {
  // Callback style throughout: a request without the header costs one property read.
  const preHandler: preHandlerHookHandler = function (request, reply, done) {
    const header = request.headers['idempotency-key'];
    if (header === undefined) return done();
    let key: string;
    try {
      key = validateKey(header);
    } catch (err) {
      return done(err as AppError);
    }
    if (!WRITE_METHODS.has(request.method)) return done(); // validated on any method, used on writes only
    const scope = scopeOf(request.principal, request.ip);
    store.begin({ scope, key, method: request.method, path: request.url, bodyHash: hashBody(request.rawBody, request.body) }).then((result) => {
      if (result.kind === 'replay') return sendReplay(reply, result.response);
      (request as ClaimedRequest)[CLAIM] = result.claim;
      done();
    }, (err: Error) => done(err));
  };

  const onSend: onSendHookHandler = function (request, reply, payload, done) {
    const claim = (request as ClaimedRequest)[CLAIM];
    if (claim === undefined) return done(null, payload);
    (request as ClaimedRequest)[CLAIM] = undefined;
    const body = payloadBytes(payload);
    // Stored before the response leaves, so a client that got it and retries is replayed.
    const finish = body !== undefined && shouldStore(reply.statusCode)
      ? store.complete(claim, { status: reply.statusCode, headers: pickHeaders(reply.getHeaders()), body })
      : store.release(claim);
    finish.then(() => done(null, payload), (err: unknown) => {
      // The work is done: the client still gets its answer. The claim expires via the processing timeout.
      request.log.error({ err, request_id: request.id, key_scope: claim.scope }, 'could not store the idempotent response');
      done(null, payload);
    });
  };

  // A response that never went through onSend (hijacked, or the fallback error handler).
  const onResponse: onResponseHookHandler = function (request, _reply, done) {
    const claim = (request as ClaimedRequest)[CLAIM];
    if (claim === undefined) return done();
    (request as ClaimedRequest)[CLAIM] = undefined;
    store.release(claim).catch((err: unknown) => request.log.warn({ err, request_id: request.id }, 'could not release an idempotency key'));
    done();
  };

  return {
    preHandler,
    addResponseHooks(route) {
      route.onSend = [...asArray(route.onSend), onSend];
      route.onResponse = [...asArray(route.onResponse), onResponse];
    },
  };
}

function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
