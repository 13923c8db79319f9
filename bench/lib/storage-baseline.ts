// The storage benchmarks' baseline (README "Storage (issue 15)"): a bare `node:http` server in
// its own process that does what a hand-written file endpoint does, with no metadata, no
// authorization, no checksum:
//   POST   /files/<name>  pipes the request body to <dir>/<name> (fs.createWriteStream), then
//                         fsyncs the file (as Fluxbase's local backend does before it answers:
//                         both sides answer once the bytes are on disk) → 201 {"size": n}
//   GET    /files/<name>  fs.stat, then the headers `send` would set (Content-Type,
//                         Content-Length, ETag W/"<size>-<mtime>", Last-Modified, Accept-Ranges,
//                         Cache-Control) and fs.createReadStream(file).pipe(res) → 200
//   DELETE /files/<name>  unlink → 204
// `send` itself is not installed in this repository, so this is its core path written out (no
// Range or conditional-GET handling: the benchmarks send neither).
import { mkdtempSync, rmSync } from 'node:fs';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { SideServer } from './types.ts';

const PREFIX = '/files/';

export async function storageBaseline(): Promise<SideServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-bench-bare-storage-'));
  const fileOf = (url: string | undefined): string | undefined => {
    const p = (url ?? '').split('?')[0]!;
    if (!p.startsWith(PREFIX)) return undefined;
    const name = p.slice(PREFIX.length);
    return /^[A-Za-z0-9._-]+$/.test(name) ? path.join(dir, name) : undefined;
  };
  const fail = (res: http.ServerResponse, err: unknown) => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
    else res.destroy();
  };
  const server = http.createServer((req, res) => {
    const file = fileOf(req.url);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    if (req.method === 'POST') {
      void (async () => {
        await pipeline(req, createWriteStream(file));
        const fh = await open(file, 'r+');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        const { size } = await stat(file);
        const body = JSON.stringify({ size });
        res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
      })().catch((err: unknown) => fail(res, err));
      return;
    }
    if (req.method === 'GET') {
      stat(file).then(
        (st) => {
          res.writeHead(200, {
            'content-type': 'application/octet-stream',
            'content-length': st.size,
            etag: `W/"${st.size.toString(16)}-${st.mtime.getTime().toString(16)}"`,
            'last-modified': st.mtime.toUTCString(),
            'accept-ranges': 'bytes',
            'cache-control': 'public, max-age=0',
          });
          createReadStream(file).on('error', (err) => fail(res, err)).pipe(res);
        },
        () => res.writeHead(404).end(),
      );
      return;
    }
    if (req.method === 'DELETE') {
      unlink(file).then(() => res.writeHead(204).end(), () => res.writeHead(404).end());
      return;
    }
    res.writeHead(405).end();
  });
  server.keepAliveTimeout = 72_000; // as Fastify's default, so connections are reused alike
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      });
    }),
  };
}
