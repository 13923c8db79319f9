// The Node HTTP server under Fastify, and what it answers before or instead of Fastify:
// request ids, security headers and CORS on the raw request (cheaper than a hook); the
// in-flight count; answers for requests Node cannot parse or that arrive too slowly
// (400/408/431); 503 for requests arriving during shutdown; and the handler deadline
// (504 HANDLER_TIMEOUT). Every one of them is in the error envelope (docs/errors.md) with the request id
// also sent as X-Request-ID (docs/operations.md lists the timeouts).
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { applyCors, type CorsOptions } from './cors.ts';
import { AppError, errors, mountOf, renderError } from './errors/index.ts';

export interface ServerTimeouts {
  /** Whole request received (server.request_timeout); 0 disables. */
  requestMs: number;
  /** Request headers received (server.headers_timeout). */
  headersMs: number;
  /** Request handled (server.handler_timeout); 0 disables. */
  handlerMs: number;
  /** Requests with a deadline of their own, not server.handler_timeout (edge function calls and deploys). */
  exempt?: ((method: string, url: string) => boolean) | undefined;
  /** Idle keep-alive connection kept (server.keep_alive_timeout). */
  keepAliveMs: number;
}

export interface RawServerOptions {
  cors: CorsOptions;
  hsts: boolean;
  timeouts: ServerTimeouts;
  /** Called for each request answered 504 by the handler deadline (a metric). */
  onHandlerTimeout?: () => void;
}

export interface RawServer {
  /** Fastify's serverFactory. */
  factory(handler: (req: IncomingMessage, res: ServerResponse) => void): http.Server;
  /** Requests being served (for fluxbase_http_requests_in_flight). */
  inFlight(): number;
  /** From now on, answer new requests 503 SERVICE_UNAVAILABLE with Connection: close. */
  startClosing(): void;
  /** Stop the deadline sweep (on close). */
  stop(): void;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const REQUEST_ID_KEY = Symbol('fluxbase.requestId');
const STARTED_AT = Symbol('fluxbase.startedAt');
type RawRequest = IncomingMessage & { [REQUEST_ID_KEY]?: string };
type TrackedResponse = ServerResponse & { [STARTED_AT]: number; req: RawRequest };

/** The request id: a valid X-Request-ID from the client, else a new UUID (stashed on the request). */
export function requestIdOf(raw: RawRequest): string {
  const stashed = raw[REQUEST_ID_KEY];
  if (stashed !== undefined) return stashed;
  const given = raw.headers['x-request-id'];
  const id = Array.isArray(given) ? given[0] : given;
  return id !== undefined && REQUEST_ID.test(id) ? id : randomUUID();
}

function errorBody(err: AppError, requestId: string, url: string | undefined): string {
  return JSON.stringify(renderError(err, requestId, mountOf(url ?? '/')));
}

/** Answer on the raw response (headers already set on it, such as X-Request-ID and CORS, are kept). */
function answer(res: ServerResponse, err: AppError, requestId: string, extra: Record<string, string> = {}): void {
  const body = errorBody(err, requestId, res.req?.url);
  res.writeHead(err.status, {
    ...err.headers, ...extra,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/** Raw-socket answer for requests Node cannot even parse (oversized or malformed headers) or that arrive too slowly. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage?.headersSent)) {
    socket.destroy();
    return;
  }
  const id = randomUUID();
  const headerTooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const appError = headerTooLarge
    ? new AppError('HEADER_TOO_LARGE', { message: 'Request headers exceed 16 KB' })
    : timedOut ? errors.requestTimeout() : new AppError('INVALID_FORMAT', { message: 'The request could not be parsed as HTTP' });
  const body = errorBody(appError, id, undefined);
  const reason = http.STATUS_CODES[appError.status] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${appError.status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-Request-ID: ${id}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function createRawServer(options: RawServerOptions): RawServer {
  const { timeouts } = options;
  const fixedHeaders: [string, string][] = [
    ['x-content-type-options', 'nosniff'],
    ['x-frame-options', 'DENY'],
    ['referrer-policy', 'strict-origin-when-cross-origin'],
  ];
  if (options.hsts) fixedHeaders.push(['strict-transport-security', 'max-age=31536000; includeSubDomains']);

  /**
   * Every response gets the security headers and X-Request-ID, added when its head is
   * written rather than by setHeader on arrival: a response whose headers all come in one
   * writeHead object (Fastify's way) takes Node's fast path, while one setHeader call
   * would route every other header through setHeader's validation and bookkeeping too.
   */
  class SecuredResponse extends http.ServerResponse<RawRequest> {
    override writeHead(statusCode: number, ...rest: unknown[]): this {
      const last = rest[rest.length - 1];
      const id = requestIdOf(this.req);
      if (last !== null && typeof last === 'object' && !Array.isArray(last) && this.getHeaderNames().length === 0) {
        const headers = last as Record<string, unknown>;
        for (const [name, value] of fixedHeaders) if (!(name in headers)) headers[name] = value;
        if (!('x-request-id' in headers)) headers['x-request-id'] = id;
      } else {
        for (const [name, value] of fixedHeaders) if (!this.hasHeader(name)) this.setHeader(name, value);
        if (!this.hasHeader('x-request-id')) this.setHeader('x-request-id', id);
      }
      return (super.writeHead as (code: number, ...args: unknown[]) => this)(statusCode, ...rest);
    }
  }
  let inFlight = 0;
  let closing = false;
  // Responses in progress, for the handler deadline; a Set costs less per request than a timer.
  const pending = new Set<TrackedResponse>();
  const trackDeadline = timeouts.handlerMs > 0;

  function onClose(this: TrackedResponse): void {
    inFlight--;
    if (trackDeadline) pending.delete(this);
  }

  const sweep = trackDeadline
    ? setInterval(() => {
      const now = performance.now();
      for (const res of pending) {
        if (now - res[STARTED_AT] <= timeouts.handlerMs) continue;
        pending.delete(res);
        if (res.headersSent || res.writableEnded) continue; // already answering (e.g. streaming)
        options.onHandlerTimeout?.();
        answer(res, errors.handlerTimeout(timeouts.handlerMs), requestIdOf(res.req));
      }
    }, Math.min(1000, Math.max(10, Math.floor(timeouts.handlerMs / 4))))
    : undefined;
  sweep?.unref();

  return {
    factory(handler) {
      const server = http.createServer({
        ServerResponse: SecuredResponse,
        requestTimeout: timeouts.requestMs,
        headersTimeout: timeouts.headersMs,
        keepAliveTimeout: timeouts.keepAliveMs,
        // Node checks the two timeouts above on this interval (default 30 s, so a 20 s
        // header timeout would fire at 20–50 s); one second keeps them close to their value.
        connectionsCheckingInterval: Math.min(1000, timeouts.headersMs),
      }, (req: RawRequest, res) => {
        const id = requestIdOf(req);
        req[REQUEST_ID_KEY] = id;
        if (req.headers.origin !== undefined && applyCors(req, res, options.cors)) return; // preflight answered
        if (closing) {
          answer(res, errors.serviceUnavailable('The server is shutting down; retry on another instance or in a moment'), id, { Connection: 'close' });
          return;
        }
        inFlight++;
        if (trackDeadline && !timeouts.exempt?.(req.method ?? 'GET', req.url ?? '')) {
          (res as TrackedResponse)[STARTED_AT] = performance.now();
          pending.add(res as TrackedResponse);
        }
        res.on('close', onClose); // emitted once per response
        handler(req, res);
      });
      return server;
    },
    inFlight: () => inFlight,
    startClosing() {
      closing = true;
    },
    stop() {
      if (sweep) clearInterval(sweep);
      pending.clear();
    },
  };
}
