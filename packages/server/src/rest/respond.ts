// Sending a data response: weak ETag over the uncompressed body with If-None-Match → 304
// (API.md §5.7), gzip/brotli over 1 KiB when accepted, Server-Timing for the stages.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);
const COMPRESS_MIN = 1024;

export function weakEtag(body: string): string {
  return `W/"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
}

/** Whether `If-None-Match` (comma list, weak or strong, or `*`) matches `etag`. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  const want = bare(etag);
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === want);
}

/** Stage timings for Server-Timing (ms since the handler began). */
export class Timings {
  private readonly start = performance.now();
  private last = this.start;
  private readonly parts: string[] = [];
  mark(name: 'parse' | 'plan' | 'execute' | 'render'): void {
    const now = performance.now();
    this.parts.push(`${name};dur=${(now - this.last).toFixed(1)}`);
    this.last = now;
  }
  header(): string {
    return this.parts.join(', ');
  }
}

export interface DataResponse {
  status: number;
  body: string | null;
  contentType?: string;
  headers?: Record<string, string>;
  /** Compute an ETag (GET/HEAD reads). */
  etag?: boolean;
}

function encodingFor(accept: string | string[] | undefined): 'br' | 'gzip' | undefined {
  const value = Array.isArray(accept) ? accept.join(',') : accept ?? '';
  if (/\bbr\b/.test(value)) return 'br';
  if (/\bgzip\b/.test(value)) return 'gzip';
  return undefined;
}

export async function sendData(request: FastifyRequest, reply: FastifyReply, res: DataResponse, timings: Timings): Promise<FastifyReply> {
  if (res.headers) reply.headers(res.headers);
  if (res.body !== null && res.etag && res.status >= 200 && res.status < 300) {
    const tag = weakEtag(res.body);
    reply.header('ETag', tag);
    if (etagMatches(request.headers['if-none-match'] as string | undefined, tag)) {
      timings.mark('render');
      reply.header('Server-Timing', timings.header());
      return reply.code(304).send();
    }
  }
  if (res.body === null) {
    timings.mark('render');
    reply.header('Server-Timing', timings.header());
    if (res.contentType) reply.type(res.contentType);
    return reply.code(res.status).send();
  }
  reply.type(res.contentType ?? 'application/json; charset=utf-8');
  let payload: string | Buffer = res.body;
  // Reads only: write responses may be stored for Idempotency-Key replays, which must not
  // depend on the first caller's Accept-Encoding.
  const encoding = request.method === 'GET' && Buffer.byteLength(res.body) > COMPRESS_MIN ? encodingFor(request.headers['accept-encoding']) : undefined;
  if (encoding) {
    payload = encoding === 'br'
      ? await brotli(res.body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } })
      : await gzip(res.body, { level: 6 });
    reply.header('Content-Encoding', encoding);
    reply.header('Vary', 'Accept-Encoding');
  }
  timings.mark('render');
  reply.header('Server-Timing', timings.header());
  return reply.code(res.status).send(payload);
}
