// CORS (docs/configuration.md "cors"): `*` by default without credentials; with an explicit
// origin list the matching origin is echoed with credentials allowed. Preflights are
// answered here.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface CorsOptions {
  allowedOrigins: string[];
  maxAgeSeconds: number;
  /** Paths whose preflights a route answers itself (edge functions with their own CORS settings). */
  deferPreflight?: ((url: string) => boolean) | undefined;
}

export const ALLOWED_HEADERS = [
  'Authorization', 'apikey', 'Content-Type', 'Accept', 'Accept-Profile', 'Content-Profile', 'Prefer', 'Range', 'Range-Unit',
  'If-None-Match', 'If-Match', 'Idempotency-Key', 'X-Request-ID', 'X-Service-Key', 'X-Client-Info', 'x-upsert',
  'X-Storage-Content-Type', 'X-Storage-Metadata', 'X-Storage-Cache-Control', 'X-Storage-Upsert',
].join(', ');

export const EXPOSED_HEADERS = [
  'Content-Range', 'Location', 'ETag', 'X-Request-ID', 'X-Affected-Count', 'X-Next-Cursor', 'Idempotency-Replayed',
  'Preference-Applied', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset',
  'X-Fluxbase-Execution-Id', 'Server-Timing',
].join(', ');

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** Applies CORS headers; returns true when it answered a preflight itself. */
export function applyCors(request: IncomingMessage, reply: ServerResponse, options: CorsOptions): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  const any = options.allowedOrigins.includes('*');
  const allowed = any || options.allowedOrigins.includes(origin);
  if (allowed) {
    if (any) reply.setHeader('Access-Control-Allow-Origin', '*');
    else {
      reply.setHeader('Access-Control-Allow-Origin', origin);
      reply.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    reply.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
  }
  if (!any) reply.setHeader('Vary', 'Origin');
  if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
    if (options.deferPreflight?.(request.url ?? '')) return false;
    if (allowed) {
      reply.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
      reply.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      reply.setHeader('Access-Control-Max-Age', String(options.maxAgeSeconds));
    }
    reply.statusCode = 204;
    reply.end();
    return true;
  }
  return false;
}
