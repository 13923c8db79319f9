// One webhook POST to an address resolveTarget already approved. The socket connects to that
// address, never to a fresh DNS answer, while the Host header and the TLS server name keep
// the URL's host so virtual hosting and certificate checks work. It never follows
// redirects (a 3xx could point anywhere, internal hosts included), keeps only the first
// 4 KB of the response and never throws: every outcome is a result the worker records.
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';

export const RESPONSE_EXCERPT_BYTES = 4096;

export interface PinnedPost {
  url: URL;
  address: string;
  family: 4 | 6;
  headers: Record<string, string>;
  body: string;
  /** Covers connecting, the response headers and reading the excerpt. */
  timeoutMs: number;
}

export interface PostResult {
  /** A 2xx status arrived and the excerpt was read within the timeout. */
  ok: boolean;
  status: number | null;
  responseExcerpt: string;
  error: string | null;
  durationMs: number;
}

export function postPinned(input: PinnedPost): Promise<PostResult> {
  const { url, address, family, body, timeoutMs } = input;
  const https = url.protocol === 'https:';
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const started = performance.now();

  return new Promise((resolve) => {
    let status: number | null = null;
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    let req: ClientRequest | undefined;

    const finish = (error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req?.destroy();
      resolve({
        ok: error === null && status !== null && status >= 200 && status < 300,
        status,
        responseExcerpt: Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8'),
        error,
        durationMs: Math.round(performance.now() - started),
      });
    };

    const options = {
      method: 'POST',
      host: address, // an IP literal: no lookup happens, so the connection goes exactly here
      family,
      port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      // SNI may not carry an IP literal; for an IP URL the certificate is checked against `host`.
      ...(https && isIP(hostname) === 0 ? { servername: hostname } : {}),
      headers: { ...input.headers, Host: url.host, 'Content-Length': String(Buffer.byteLength(body)) },
      agent: false as const, // no pooled socket may carry a request to another target
    };

    const onResponse = (res: IncomingMessage): void => {
      status = res.statusCode ?? null;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        // Enough for the log: stop reading so a huge or endless body costs nothing more.
        if (received >= RESPONSE_EXCERPT_BYTES) {
          finish(null);
          res.destroy();
        }
      });
      res.on('end', () => finish(null));
      res.on('error', (err) => finish(`response failed: ${err.message}`));
      res.on('close', () => finish(res.complete ? null : 'connection closed before the response ended'));
    };

    const timer = setTimeout(() => finish(`timed out after ${timeoutMs} ms`), timeoutMs);
    try {
      req = https ? httpsRequest(options, onResponse) : httpRequest(options, onResponse);
      req.on('error', (err) => finish(err.message));
      req.end(body);
    } catch (err) {
      // Invalid header names or values throw synchronously.
      finish(err instanceof Error ? err.message : String(err));
    }
  });
}
