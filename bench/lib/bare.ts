// The baselines' bare `node:http` server: one JSON route, nothing else. It sends the same
// response headers as Fluxbase (request id, security headers), so both sides put the same
// bytes on the wire and the load generator's per-response cost is equal: the ratio then
// measures server-side machinery, not header count.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SideServer } from './types.ts';

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
            'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'strict-origin-when-cross-origin',
            'x-request-id': randomUUID(),
            'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body),
          }).end(body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
        },
      );
  });
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
