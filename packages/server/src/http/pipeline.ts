// The request pipeline, in order: request id → CORS → body limit (per route pattern) →
// JSON depth → principal → rate limit → idempotency → handler; plus the error renderer, the 404/405
// fallback, security headers and HTTP metrics. Subsystems register routes on the
// instance this returns and inherit all of it.
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import FindMyWay from 'find-my-way';
import type { Logger, Metrics, Tracing } from '../observability/index.ts';
import { bodyLimitFor, parseJsonBody, payloadTooLarge, type BodyLimits } from './body.ts';
import type { CorsOptions } from './cors.ts';
import { clientErrorHandler, createRawServer, requestIdOf, type ServerTimeouts } from './raw-server.ts';
import { installAdminLookup, type AdminUserLookup } from './admin-guard.ts';
import { type AppError, errors, mountOf, renderError, toAppError } from './errors/index.ts';
import { idempotencyApplies, idempotencyHooks, type IdempotencyStore } from './idempotency/index.ts';
import { notYetServed } from './not-yet-served.ts';
import { lingerOnClose } from './lingering-close.ts';
import { ANONYMOUS, type Principal, type PrincipalResolver } from './principal.ts';
import type { LimitDecision, RateLimiter } from './rate-limit.ts';
import { installRequestTracing } from './request-tracing.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Skip principal resolution (health, readiness, metrics). */
    public?: boolean;
    /** Skip the global rate limit. */
    skipRateLimit?: boolean;
    /** Route allowed without a credential when auth.require_api_key is on. */
    allowWithoutKey?: boolean;
  }
}

export interface PipelineOptions {
  logger: Logger;
  metrics: Metrics;
  bodyLimits: BodyLimits;
  cors: CorsOptions;
  principals: PrincipalResolver;
  globalRateLimit?: RateLimiter | undefined;
  requireApiKey: boolean;
  trustedProxies: string[];
  timeouts: ServerTimeouts;
  /** Send HSTS (server.public_url is https). */
  hsts: boolean;
  /** Honour Idempotency-Key on /api/v1 and /rest/v1 writes (absent: the header is ignored). */
  idempotency?: IdempotencyStore | undefined;
  /** Whether a user is an admin (auth.users.role); absent: only service_role is admin. */
  isAdminUser?: AdminUserLookup | undefined;
  /** A server span per request when tracing is on (request-tracing.ts); off or absent: no hooks at all. */
  tracing?: Tracing | undefined;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export function createHttpServer(options: PipelineOptions): FastifyInstance {
  const { metrics } = options;
  // 1. Request id, security headers, CORS, the in-flight count and the handler deadline
  // run on the raw request before Fastify sees it (raw-server.ts).
  const raw = createRawServer({
    cors: options.cors, hsts: options.hsts, timeouts: options.timeouts,
    onHandlerTimeout: () => metrics.handlerTimeouts.inc(),
  });
  metrics.readInFlight = raw.inFlight;
  const serverFactory = raw.factory;
  // Set once the options below exist; the framework-error hook runs only for requests.
  const errorOptionsRef: { current?: Parameters<typeof sendError>[3] } = {};

  const app = Fastify({
    serverFactory,
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (a measurable cost on every request): error logs carry
    // request_id explicitly instead (see sendError).
    childLoggerFactory: (logger) => logger,
    genReqId: requestIdOf,
    trustProxy: options.trustedProxies.length > 0 ? options.trustedProxies : false,
    clientErrorHandler,
    // The router's own refusals (a malformed percent-encoded path, an overlong path
    // parameter) go through our error renderer too, not Fastify's body.
    frameworkErrors: (err: Error, request: FastifyRequest, reply: FastifyReply) => sendError(request, reply, err, errorOptionsRef.current!),
    // Requests arriving during shutdown are answered by raw-server.ts in our envelope.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  }) as unknown as FastifyInstance;

  // A method-agnostic mirror of the routes, to tell 404 from 405 (Fastify answers 404 for both).
  const methodIndex = FindMyWay({ ignoreTrailingSlash: true });
  app.decorateRequest('principal', null as unknown as Principal);
  installAdminLookup(app, options.isAdminUser);
  if (options.tracing?.enabled) installRequestTracing(app, options.tracing);

  // 4–5. Principal, then rate limit: attached per route, so public routes (health,
  // readiness, metrics) carry no hook at all. Callback style with synchronous fast paths:
  // a remembered token and the memory store answer without a promise on every request.
  const limit = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    const limiter = options.globalRateLimit;
    if (!limiter || request.routeOptions.config.skipRateLimit || request.principal.role === 'service_role') return done();
    const p = request.principal;
    const key = p.userId ? `user:${p.userId}` : p.keyId ? `key:${p.keyId}` : `ip:${request.ip}`;
    const apply = (decision: LimitDecision): void => {
      reply.headers(decision.headers);
      if (decision.allowed) return done();
      metrics.rateLimitHits.inc({ limiter: limiter.name });
      done(decision.error!);
    };
    const now = limiter.checkNow(key);
    if (now !== undefined) return apply(now);
    limiter.check(key).then(apply, done);
  };
  const admit = (request: FastifyRequest, reply: FastifyReply, principal: Principal, done: (err?: Error) => void): void => {
    request.principal = principal;
    if (options.requireApiKey && principal === ANONYMOUS && !request.routeOptions.config.allowWithoutKey) {
      return done(errors.missingAuthentication('An API key is required (auth.require_api_key is on)'));
    }
    limit(request, reply, done);
  };
  const authenticate = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    let resolved: Principal | Promise<Principal>;
    try {
      resolved = options.principals.resolveNow(request.headers);
    } catch (err) {
      return done(err as Error);
    }
    if (resolved instanceof Promise) resolved.then((principal) => admit(request, reply, principal, done), done);
    else admit(request, reply, resolved, done);
  };

  const idempotency = options.idempotency ? idempotencyHooks(options.idempotency) : undefined;

  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= bodyLimitFor(route.url, options.bodyLimits).bytes;
    if (!route.config?.public) {
      const existing = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
      // Idempotency right after the principal (its scope); the key is validated on any method.
      const idem = idempotency !== undefined && idempotencyApplies(route.url) ? idempotency : undefined;
      route.preHandler = [authenticate, ...(idem ? [idem.preHandler] : []), ...existing] as typeof route.preHandler;
      // Only writes claim a key, so reads skip the onSend/onResponse hooks (a hook chain per response).
      if (idem && (Array.isArray(route.method) ? route.method : [route.method]).some((m) => m !== 'GET' && m !== 'HEAD')) idem.addResponseHooks(route);
    }
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      if (!(METHODS as readonly string[]).includes(m)) continue;
      try {
        methodIndex.on(m as (typeof METHODS)[number], route.url, () => {});
      } catch {
        // already registered (HEAD is added automatically for GET routes)
      }
    }
  });

  // 2–3. Bodies: only JSON here (routes that take other types register their own parser).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/([\w.-]+\+)?json(\s*;.*)?$/i, { parseAs: 'string' }, (req, body, done) => {
    // Kept only when it will be hashed (idempotency compares the raw bytes, not the parse).
    if (idempotency !== undefined && req.headers['idempotency-key'] !== undefined) req.rawBody = body as string;
    try {
      done(null, parseJsonBody(body as string, options.bodyLimits.max_json_depth));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  const errorOptions = { ...options, onHandlerTimeout: () => metrics.handlerTimeouts.inc() };
  errorOptionsRef.current = errorOptions;
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err, errorOptions));

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = METHODS.filter((m) => methodIndex.find(m, path) !== null);
    const err = allowed.length > 0 && !allowed.includes(request.method as (typeof METHODS)[number])
      ? errors.methodNotAllowed(request.method, allowed)
      : notYetServed(path) ?? errors.routeNotFound(request.method, path);
    return sendError(request, reply, err, options);
  });

  app.addHook('preClose', (done) => {
    raw.startClosing();
    done();
  });
  app.addHook('onClose', (_app, done) => {
    raw.stop();
    done();
  });

  // Metrics per route pattern; unmatched paths share one label so cardinality stays bounded.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.http.record(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  // An aborted request never reaches onResponse.
  app.addHook('onRequestAbort', (request, done) => {
    metrics.http.record(request.method, request.routeOptions.url ?? 'unmatched', 499, 0);
    done();
  });

  return app;
}

export function sendError(
  request: FastifyRequest, reply: FastifyReply, thrown: unknown,
  options: Pick<PipelineOptions, 'bodyLimits' | 'logger'> & { onHandlerTimeout?: () => void },
): FastifyReply {
  if (reply.sent) return reply; // answered already (504 HANDLER_TIMEOUT): the late failure is moot
  let err: AppError;
  const code = (thrown as { code?: unknown }).code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    err = payloadTooLarge(bodyLimitFor(request.routeOptions.url ?? request.url, options.bodyLimits));
  } else if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    err = errors.unsupportedMediaType(request.headers['content-type']);
  } else {
    err = toAppError(thrown, { anonymous: (request.principal?.role ?? 'anon') === 'anon' });
  }
  if (err.code === 'HANDLER_TIMEOUT') options.onHandlerTimeout?.(); // the pool gave up first (raw-server.ts counts its own)
  if (err.status >= 500 && err.status !== 503) {
    request.log.error({ err: (err.cause ?? thrown) as Error, code: err.code, url: request.routeOptions.url ?? request.url, request_id: request.id }, 'request failed');
  } else if (err.status === 503) {
    request.log.warn({ code: err.code, request_id: request.id }, err.message);
  }
  const body = renderError(err, request.id, mountOf(request.url));
  if (err.status === 413 || code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    // The rest of the body is not wanted: close after the answer, but lingering, so a
    // client still writing its body reads the 413 instead of a reset (lingering-close.ts).
    reply.header('Connection', 'close');
    lingerOnClose(request.raw.socket);
  }
  return reply.code(err.status).headers(err.headers).type('application/json; charset=utf-8').send(body);
}
