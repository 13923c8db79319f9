// Idempotency hooks: the feature's only Fastify code, so the wiring (claim or replay before the handler, store or release on send) stays apart from rules and SQL.
import type { FastifyReply, FastifyRequest, onResponseHookHandler, onSendHookHandler, preHandlerHookHandler, RouteOptions } from 'fastify';
import type { AppError } from '../errors/index.ts';
import {
  idempotencyAppliesToMethod, idempotentRequest, payloadBytes, pickHeaders, scopeOf, shouldStore, validateKey, type StoredResponse,
} from './rules.ts';
import type { Claim, IdempotencyStore } from './store.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body as received, kept only when an Idempotency-Key is sent (for its hash). */
    rawBody?: string;
  }
}

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
    if (!idempotencyAppliesToMethod(request.method)) return done(); // validated on any method, used on writes only
    const scope = scopeOf(request.principal, request.ip);
    const keyed = idempotentRequest({ scope, key, method: request.method, url: request.url, rawBody: request.rawBody, body: request.body });
    store.begin(keyed).then((result) => {
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
