// Shaping a data response, plain data in and out (routes/send.ts writes it): weak ETag over
// the uncompressed body with If-None-Match → 304 (docs/rest.md "ETags and conditional
// requests"), gzip/brotli over 1 KiB when accepted, Server-Timing for the stages
// (docs/rest.md "Representations").
import { hash } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { RestRequest, RestResponse } from './request.ts';

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);
const COMPRESS_MIN = 1024;

export function weakEtag(body: string): string {
  // One-shot crypto.hash: no Hash object per response (Node ≥ 20.12).
  return `W/"${hash('sha256', body, 'hex').slice(0, 32)}"`;
}

/** Whether `If-None-Match` (comma list, weak or strong, or `*`) matches `etag`. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  const want = bare(etag);
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === want);
}

export interface DataResponse {
  status: number;
  body: string | null;
  contentType?: string;
  headers?: Record<string, string>;
  /** Compute an ETag (GET/HEAD reads). */
  etag?: boolean;
}

function encodingFor(accept: string | undefined): 'br' | 'gzip' | undefined {
  if (accept === undefined) return undefined;
  if (/\bbr\b/.test(accept)) return 'br';
  if (/\bgzip\b/.test(accept)) return 'gzip';
  return undefined;
}

/** The response to send for `res`: ETag and 304, compression, Server-Timing. */
export async function respond(req: RestRequest, res: DataResponse): Promise<RestResponse> {
  const headers: Record<string, string> = res.headers ?? {};
  if (res.body !== null && res.etag && res.status >= 200 && res.status < 300) {
    const tag = weakEtag(res.body);
    headers.ETag = tag;
    if (etagMatches(req.ifNoneMatch, tag)) {
      req.timings.mark('render');
      headers['Server-Timing'] = req.timings.header();
      return { status: 304, headers, body: null };
    }
  }
  if (res.body === null) {
    req.timings.mark('render');
    headers['Server-Timing'] = req.timings.header();
    if (res.contentType) headers['Content-Type'] = res.contentType;
    return { status: res.status, headers, body: null };
  }
  headers['Content-Type'] = res.contentType ?? 'application/json; charset=utf-8';
  let payload: string | Buffer = res.body;
  // Reads only: write responses may be stored for Idempotency-Key replays, which must not
  // depend on the first caller's Accept-Encoding.
  const encoding = req.method === 'GET' && Buffer.byteLength(res.body) > COMPRESS_MIN ? encodingFor(req.acceptEncoding) : undefined;
  if (encoding) {
    payload = encoding === 'br'
      ? await brotli(res.body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } })
      : await gzip(res.body, { level: 6 });
    headers['Content-Encoding'] = encoding;
    headers.Vary = 'Accept-Encoding';
  }
  req.timings.mark('render');
  headers['Server-Timing'] = req.timings.header();
  return { status: res.status, headers, body: payload };
}
