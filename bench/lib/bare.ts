// The baselines' bare `node:http` servers: one JSON route (bareServer), or one handler that
// does its own routing (bareApp, for the REST baseline). Both send the same base
// response headers as Fluxbase (request id, security headers), so both sides put the same
// bytes on the wire and the load generator's per-response cost is equal: the ratio then
// measures server-side machinery, not header count.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SideServer } from './types.ts';

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'strict-origin-when-cross-origin',
} as const;

/** Serve `GET <path>` with the JSON `handler` returns (or resolves to); 404 otherwise. */
export async function bareServer(routePath: string, handler: () => unknown): Promise<SideServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== routePath) {
      res.writeHead(404).end();
      return;
    }
    Promise.resolve()
      .then(handler)
      .then(
        (value) => {
          const body = JSON.stringify(value);
          res.writeHead(200, {
            ...SECURITY_HEADERS,
            'x-request-id': randomUUID(),
            'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body),
          }).end(body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
        },
      );
  });
  return listen(server);
}

export interface BareRequest {
  method: string;
  /** Path and query string, as received. */
  url: string;
  headers: http.IncomingHttpHeaders;
  /** The raw body ('' for GET). */
  body: string;
  /** The id also sent back as `x-request-id`. */
  requestId: string;
}

export interface BareResponse {
  status: number;
  /** JSON text, or null for no body. */
  body: string | null;
  headers?: Record<string, string>;
}

/** Serve every request with `handler` (it does its own routing); same base headers as bareServer. */
export async function bareApp(handler: (req: BareRequest) => Promise<BareResponse>): Promise<SideServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const requestId = randomUUID();
      const body = chunks.length === 0 ? '' : Buffer.concat(chunks).toString('utf8');
      handler({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, requestId }).then(
        (out) => {
          const headers: Record<string, string | number> = { ...SECURITY_HEADERS, 'x-request-id': requestId, ...out.headers };
          if (out.body === null) {
            res.writeHead(out.status, headers).end();
            return;
          }
          headers['content-type'] = 'application/json; charset=utf-8';
          headers['content-length'] = Buffer.byteLength(out.body);
          res.writeHead(out.status, headers).end(out.body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
        },
      );
    });
  });
  return listen(server);
}

async function listen(server: http.Server): Promise<SideServer> {
  // Same keep-alive behaviour as Fastify's defaults (72 s), so connections are reused alike.
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
