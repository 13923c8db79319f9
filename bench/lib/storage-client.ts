// The storage benchmarks' client side, in the runner (README "Storage (issue 15)"): one large
// upload streamed from a repeated in-memory chunk (so the client reads no disk), one large
// download whose bytes are counted and dropped, and a sampler of a server process's VmRSS.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { rssBytes } from './rt-load.ts';

export const MiB = 1024 * 1024;

export interface TransferResult {
  ms: number;
  bytes: number;
  status: number;
  /** The response body (upload: the JSON answer; download: empty, the bytes are dropped). */
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** MD5 (hex) of `chunk` repeated to `total` bytes: Fluxbase's local etag of what `upload` sends. */
export function repeatedMd5(chunk: Buffer, total: number): string {
  const h = createHash('md5');
  for (let sent = 0; sent < total; sent += chunk.length) h.update(chunk.subarray(0, Math.min(chunk.length, total - sent)));
  return h.digest('hex');
}

/** POSTs `total` bytes (`chunk` repeated) with Content-Length, honouring backpressure; a new connection. */
export function upload(url: string, headers: Record<string, string>, chunk: Buffer, total: number): Promise<TransferResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, {
      method: 'POST', agent: false,
      headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(total) },
    });
    let sent = 0;
    let answered = false;
    const writeMore = () => {
      while (sent < total && !answered) {
        const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', writeMore);
          return;
        }
      }
      if (!answered) req.end();
    };
    req.on('error', reject);
    req.on('response', (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (sent < total) req.destroy(); // answered early (an error): stop writing
        resolve({ ms: performance.now() - t0, bytes: sent, status, body: Buffer.concat(parts).toString('utf8'), headers: res.headers });
      });
    });
    writeMore();
  });
}

/** GETs `url` on a new connection, counting and dropping the bytes. */
export function download(url: string, headers: Record<string, string> = {}): Promise<TransferResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent: false, headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('error', reject);
      res.on('end', () => resolve({ ms: performance.now() - t0, bytes, status: res.statusCode ?? 0, body: '', headers: res.headers }));
    });
    req.on('error', reject);
  });
}

/** GETs `url` and returns the whole body (small objects only: the preflight). */
export async function fetchBytes(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Samples a process's VmRSS every `everyMs` between start() and stop(): the growth of its peak over the value at start(). */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private before = 0;
  private peak = 0;
  samples = 0;

  constructor(private readonly pid: number, private readonly everyMs = 100) {}

  start(): void {
    this.before = rssBytes(this.pid);
    this.peak = this.before;
    this.samples = 1;
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  private sample(): void {
    const v = rssBytes(this.pid);
    this.samples++;
    if (v > this.peak) this.peak = v;
  }

  /** Stops sampling (one last sample first); the RSS at start and the peak growth, in bytes. */
  stop(): { before: number; growth: number; samples: number } {
    clearInterval(this.timer);
    this.sample();
    return { before: this.before, growth: this.peak - this.before, samples: this.samples };
  }
}
