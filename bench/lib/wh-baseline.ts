// The webhooks benchmarks' baseline (README "Webhooks"): a bare delivery loop in its own
// process. It listens on a control port; `POST /run {target, n, concurrency, secret, table,
// rate?}` makes it POST `n` JSON bodies of the delivery payload's shape to `target`, each
// signed as Fluxbase signs a delivery (X-Fluxbase-Signature `t=<unix>,v1=<hex HMAC-SHA256(secret,
// "<t>.<body>")>` and the legacy X-Webhook-Signature), with `concurrency` in flight, and
// answers `{ms, failed}` when every POST has its answer. Each POST goes as Fluxbase's
// postPinned sends it: node:http with `agent: false` (a new connection per delivery), the
// response read to its end. No queue, no database: what the ratio against Fluxbase measures
// is the outbox and its workers.
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { SideServer } from './types.ts';

export interface BaselineRun {
  target: string;
  n: number;
  concurrency: number;
  secret: string;
  table: string;
  /** Deliveries per second to start (a fixed-rate latency run); absent: as fast as they go. */
  rate?: number;
}

export interface BaselineResult {
  ms: number;
  failed: number;
}

const hmacHex = (secret: string, message: string) => createHmac('sha256', secret).update(message, 'utf8').digest('hex');

/** The statement timestamp's format in the trigger (UTC, microseconds). */
export function isoMicros(ms: number): string {
  return `${new Date(Math.floor(ms)).toISOString().slice(0, 23)}${String(Math.floor((ms % 1) * 1000)).padStart(3, '0')}Z`;
}

/** One POST as postPinned makes it: a new connection, the body, the response read; true on a 2xx. */
function post(url: URL, headers: Record<string, string>, body: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({
      method: 'POST', host: url.hostname, family: 4, port: Number(url.port), path: url.pathname,
      headers: { ...headers, Host: url.host, 'Content-Length': String(Buffer.byteLength(body)) }, agent: false,
    }, (res: IncomingMessage) => {
      res.on('data', () => {});
      res.on('end', () => {
        req.destroy();
        resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
      });
      res.on('error', () => resolve(false));
    });
    req.on('error', () => resolve(false));
    req.end(body);
  });
}

export async function runLoop(o: BaselineRun): Promise<BaselineResult> {
  const url = new URL(o.target);
  const started = performance.now();
  let next = 0;
  let failed = 0;
  const one = async (i: number): Promise<void> => {
    if (o.rate !== undefined) {
      const due = (i * 1000) / o.rate - (performance.now() - started);
      if (due > 0) await new Promise((r) => setTimeout(r, due));
    }
    const id = randomUUID();
    const body = JSON.stringify({
      id, event: 'INSERT', record: { id: i + 1, n: i + 1 }, schema: 'public', table: o.table,
      timestamp: isoMicros(performance.timeOrigin + performance.now()),
    });
    const t = Math.floor(Date.now() / 1000);
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': 'Fluxbase-Webhooks/1.0',
      'X-Fluxbase-Event': 'INSERT',
      'X-Fluxbase-Delivery': id,
      'X-Fluxbase-Signature': `t=${t},v1=${hmacHex(o.secret, `${t}.${body}`)}`,
      'X-Webhook-Signature': hmacHex(o.secret, body),
    };
    if (!(await post(url, headers, body))) failed++;
  };
  const lane = async (): Promise<void> => {
    while (next < o.n) await one(next++);
  };
  await Promise.all(Array.from({ length: o.concurrency }, lane));
  return { ms: performance.now() - started, failed };
}

/** The baseline side: a control server that runs one loop per `POST /run`. */
export function bareDeliveryLoop(): Promise<SideServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/run') {
        res.writeHead(404).end();
        return;
      }
      runLoop(JSON.parse(Buffer.concat(chunks).toString('utf8')) as BaselineRun).then(
        (r) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(r)),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
