// A server span per request (docs/tracing.md "Spans"), installed only when tracing is on:
// started at onRequest as a child of the incoming `traceparent` (or a new trace), named
// `<METHOD> <route pattern>`, active while the route handler runs (so database, function and
// job spans are its children), ended at onResponse with the status code. With tracing off
// none of these hooks exists.
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { TraceSpan, Tracing } from '../observability/index.ts';

const SPAN = Symbol('fluxbase.span');

/**
 * Routes whose handlers run with the request's span as the active context, because what they
 * call finds its parent there: the auth core's wrapped steps (auth/core/traced.ts) and a job
 * submission (its traceparent is stored with the job). Other routes pass their parent
 * explicitly (the request id in a database RequestContext, a function call's requestId), so
 * they never turn on Node 20's per-promise AsyncLocalStorage hooks.
 */
const CONTEXT_ROUTES = /^\/api\/v1\/(auth|jobs)\//;
type TracedRequest = FastifyRequest & { [SPAN]?: TraceSpan };

export function installRequestTracing(app: FastifyInstance, tracing: Tracing): void {
  app.addHook('onRequest', (request, _reply, done) => {
    // A WebSocket upgrade is a connection, not a request: it would never end its span, and
    // what runs on the socket later is not part of the upgrade request.
    if (request.headers.upgrade !== undefined) return done();
    // Sampled out (the rate, or the caller's flag): no span, no context; the handler runs as with tracing off.
    const incoming = request.headers.traceparent as string | undefined;
    if (!tracing.sampleRequest(incoming)) return done();
    const route = request.routeOptions.url;
    const q = request.url.indexOf('?');
    (request as TracedRequest)[SPAN] = tracing.startSpan(`${request.method} ${route ?? 'unmatched'}`, {
      kind: 'server',
      sampled: true,
      // A server span continues the caller's trace or starts one; never whatever happens to be active.
      parent: incoming ?? null,
      attributes: {
        'http.request.method': request.method,
        'http.route': route,
        'url.path': q < 0 ? request.url : request.url.slice(0, q),
        'fluxbase.request_id': request.id,
      },
    });
    tracing.bindRequest(request.id, (request as TracedRequest)[SPAN]!);
    done();
  });
  // These routes' handlers run with the request's span active: their awaits carry it (AsyncLocalStorage).
  app.addHook('onRoute', (route: RouteOptions) => {
    if ((route as RouteOptions & { websocket?: boolean }).websocket === true || !CONTEXT_ROUTES.test(route.url)) return;
    const handler = route.handler;
    route.handler = function traced(this: unknown, request, reply) {
      const span = (request as TracedRequest)[SPAN];
      return span ? tracing.withSpan(span, () => handler.call(this as never, request, reply)) : handler.call(this as never, request, reply);
    } as typeof handler;
  });
  app.addHook('onResponse', (request, reply, done) => {
    const span = (request as TracedRequest)[SPAN];
    if (span) {
      span.setAttributes({ 'http.response.status_code': reply.statusCode });
      if (reply.statusCode >= 500) span.fail(new Error(`HTTP ${reply.statusCode}`));
      span.end();
      tracing.unbindRequest(request.id);
    }
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    const span = (request as TracedRequest)[SPAN];
    if (span) {
      span.addEvent('aborted');
      span.end();
      tracing.unbindRequest(request.id);
    }
    done();
  });
}
