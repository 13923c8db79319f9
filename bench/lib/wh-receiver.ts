// The webhooks benchmarks' receiver (README "Webhooks"): a bare node:http server in the
// runner that reads each POST's body, answers 200 with no body at once, and records the
// arrival (time, X-Fluxbase-Delivery, body and signature headers). Both sides of W1 post
// to it; checks (distinct deliveries, signatures, latency) run after a round, off the clock.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { verifyWebhookSignature } from '../../packages/sdk/src/webhooks/verify.ts';

export interface Arrival {
  /** performance.now() of the runner when the body had arrived. */
  at: number;
  delivery: string;
  body: string;
  signature: string;
  legacy: string;
}

export class Receiver {
  arrivals: Arrival[] = [];
  private server: Server | undefined;
  private waiter: { n: number; resolve: (at: number) => void } | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = performance.now();
        const header = (name: string) => String(req.headers[name] ?? '');
        this.arrivals.push({ at, delivery: header('x-fluxbase-delivery'), body: Buffer.concat(chunks).toString('utf8'), signature: header('x-fluxbase-signature'), legacy: header('x-webhook-signature') });
        res.writeHead(200, { 'content-length': '0' });
        res.end();
        if (this.waiter && this.arrivals.length >= this.waiter.n) {
          const w = this.waiter;
          this.waiter = undefined;
          w.resolve(at);
        }
      });
    });
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  reset(): void {
    this.arrivals = [];
    this.waiter = undefined;
  }

  /** Resolves with the arrival time of the n-th POST since the reset; rejects after timeoutMs. */
  waitFor(n: number, timeoutMs: number): Promise<number> {
    if (this.arrivals.length >= n) return Promise.resolve(this.arrivals[n - 1]!.at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`the receiver got ${this.arrivals.length} of ${n} deliveries within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = { n, resolve: (at) => {
        clearTimeout(timer);
        resolve(at);
      } };
    });
  }

  distinct(): number {
    return new Set(this.arrivals.map((a) => a.delivery)).size;
  }

  /** Every `every`-th arrival's signatures: v1 through the SDK's verifyWebhookSignature, the legacy one with node:crypto. */
  async checkSignatures(secret: string, every: number): Promise<{ checked: number; bad: number }> {
    let checked = 0;
    let bad = 0;
    for (let i = 0; i < this.arrivals.length; i += every) {
      const a = this.arrivals[i]!;
      checked++;
      const legacy = createHmac('sha256', secret).update(a.body, 'utf8').digest();
      const legacyOk = a.legacy.length === 64 && timingSafeEqual(legacy, Buffer.from(a.legacy, 'hex'));
      if (!legacyOk || !(await verifyWebhookSignature(a.body, a.signature, secret))) bad++;
    }
    return { checked, bad };
  }

  /** Milliseconds from each body's `timestamp` (the trigger's statement_timestamp(); the baseline's build time) to its arrival. */
  latencies(): number[] {
    return this.arrivals.map((a) => performance.timeOrigin + a.at - Date.parse((JSON.parse(a.body) as { timestamp: string }).timestamp));
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
