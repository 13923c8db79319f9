// Invocation (API.md §11.1): any method on /api/v1/functions/:name/invoke[/<subpath>]
// [?namespace=] and on Supabase's /functions/v1/:name[/<subpath>]. The body reaches the
// function as raw bytes whatever its type (this scope parses nothing), within
// server.body_limits.bulk_limit: read whole when its Content-Length is at most 64 KB (one
// frame to the worker), otherwise streamed to the function as it arrives (request-body.ts);
// a streamed body that outgrows the limit is cut and answered 413. CORS: a function deployed with cors_origins answers its
// preflights and its responses with its own settings; any other function gets the server's
// (the raw server defers preflights on these paths to this route: http/cors.ts).
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { applyCors, bodyLimitFor, type BodyLimits, type CorsOptions, field, LIMITS, parseInput, payloadTooLarge, requireAdmin } from '../../http/index.ts';
import { DEFAULT_NAMESPACE, NAME_PATTERN, NAME_RULE } from '../deploy.ts';
import type { FunctionRecord } from '../function-store.ts';
import { LimitedBody, readRequestBody } from './request-body.ts';
import type { FunctionsRouteDeps } from './schema.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const Params = z.object({ name: field.requiredParam(LIMITS.name).pipe(z.string().regex(NAME_PATTERN, NAME_RULE)) });
const Query = z.object({ namespace: z.unknown().optional() }).passthrough();

/** Paths whose CORS preflights this route answers itself (passed to the raw server by app.ts). */
export function isInvokePath(url: string): boolean {
  return url.startsWith('/functions/v1/') || /^\/api\/v1\/functions\/[^/?]+\/invoke(?:[/?]|$)/.test(url);
}

export function registerFunctionsInvoke(app: FastifyInstance, deps: FunctionsRouteDeps & { cors: CorsOptions; bodyLimits: BodyLimits }): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (request, payload, done) => {
      const limit = bodyLimitFor(request.routeOptions.url ?? request.url, deps.bodyLimits);
      readRequestBody(request.raw, payload, limit.bytes, () => payloadTooLarge(limit)).then((body) => done(null, body), (err: Error) => done(err));
    });
    const handler = (mount: 'api' | 'supabase') => async (request: FastifyRequest, reply: FastifyReply) => {
      const { name } = parseInput(Params, request.params, 'params');
      const query = parseInput(Query, request.query, 'query');
      const namespace = mount === 'api' && typeof query.namespace === 'string' && NAME_PATTERN.test(query.namespace) ? query.namespace : DEFAULT_NAMESPACE;
      const preflight = request.method === 'OPTIONS' && request.headers.origin !== undefined && request.headers['access-control-request-method'] !== undefined;
      if (preflight) {
        const fn = await deps.service.find(namespace, name).catch(() => undefined);
        if (fn?.cors_origins) return answerPreflight(fn, request, reply, deps.cors);
        reply.hijack();
        applyCors(request.raw, reply.raw, { ...deps.cors, deferPreflight: undefined });
        return reply;
      }
      const body = request.body instanceof LimitedBody || Buffer.isBuffer(request.body) ? request.body : undefined;
      if (body instanceof LimitedBody) reply.raw.once('close', () => body.drain());
      const outcome = await deps.service.invoke({
        namespace, name, method: request.method, originalUrl: request.url, headers: request.headers, body,
        principal: request.principal, clientIp: request.ip,
        isAdmin: () => requireAdmin(request).then(() => true, () => false),
        internalUrl: internalUrl(request), traceparent: header(request, 'traceparent'), requestId: request.id,
        onCors: (fn) => functionCors(fn, request, reply),
      }).catch((err: unknown) => {
        throw body instanceof LimitedBody && body.exceeded ? body.tooLarge() : err;
      });
      // The body outgrew the limit while the function ran: what it answered is moot.
      if (body instanceof LimitedBody && body.exceeded) {
        outcome.stream?.destroy();
        throw body.tooLarge();
      }
      for (const [k, v] of outcome.headers) void reply.header(k, v);
      return reply.code(outcome.status).header('X-Fluxbase-Execution-Id', outcome.executionId).send(outcome.stream ?? outcome.body);
    };
    for (const url of ['/api/v1/functions/:name/invoke', '/api/v1/functions/:name/invoke/*']) scope.route({ method: METHODS, url, handler: handler('api') });
    for (const url of ['/functions/v1/:name', '/functions/v1/:name/*']) scope.route({ method: METHODS, url, handler: handler('supabase') });
  });
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Where a function reaches this server: its own listening address on loopback. */
function internalUrl(request: FastifyRequest): string {
  const address = request.server.server.address() as AddressInfo | string | null;
  if (address && typeof address === 'object') {
    const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }
  return `http://127.0.0.1:${request.socket.localPort}`;
}

function originAllowed(fn: FunctionRecord, origin: string): boolean {
  return (fn.cors_origins ?? []).includes('*') || (fn.cors_origins ?? []).includes(origin);
}

/** A function with its own CORS settings: its response carries those instead of the server's. */
function functionCors(fn: FunctionRecord, request: FastifyRequest, reply: FastifyReply): void {
  const origin = header(request, 'origin');
  if (!fn.cors_origins || origin === undefined) return;
  for (const h of ['Access-Control-Allow-Origin', 'Access-Control-Allow-Credentials']) reply.raw.removeHeader(h);
  if (!originAllowed(fn, origin)) return;
  const any = fn.cors_origins.includes('*') && !fn.cors_credentials;
  void reply.header('Access-Control-Allow-Origin', any ? '*' : origin);
  if (fn.cors_credentials) void reply.header('Access-Control-Allow-Credentials', 'true');
  if (!any) void reply.header('Vary', 'Origin');
}

function answerPreflight(fn: FunctionRecord, request: FastifyRequest, reply: FastifyReply, cors: CorsOptions): FastifyReply {
  functionCors(fn, request, reply);
  if (originAllowed(fn, header(request, 'origin')!)) {
    void reply.header('Access-Control-Allow-Methods', (fn.cors_methods ?? METHODS).join(', ').toUpperCase());
    void reply.header('Access-Control-Allow-Headers', fn.cors_headers?.join(', ') ?? header(request, 'access-control-request-headers') ?? 'authorization, apikey, content-type');
    void reply.header('Access-Control-Max-Age', String(fn.cors_max_age ?? cors.maxAgeSeconds));
  }
  return reply.code(204).send();
}
