// Delivery workers (docs/webhooks.md "Delivery"): woken by the trigger's NOTIFY (and a poll,
// for notifications missed while the LISTEN connection was down), they claim due deliveries
// with SKIP LOCKED, `webhooks.workers` at a time per instance, and send each to the address
// the target guard resolved and checked at this attempt (DNS rebinding cannot redirect it).
// A 2xx within the webhook's timeout is success; anything else is retried after
// retry_backoff_base × 2^(attempt−1) ± 20 %, capped at retry_backoff_max, and after
// max_retries retries the delivery is dead. A target over its per-URL rate limit
// (webhooks.per_url_rate_limit, counted in the server's rate-limit store: across instances
// when Redis is configured) waits for its window without spending an attempt. A worker that dies mid-attempt leaves its claim to expire, and
// the delivery is sent again (at least once; X-Fluxbase-Delivery lets receivers drop repeats).
import type postgres from 'postgres';
import type { Database } from '../db/index.ts';
import type { RateLimitStore } from '../http/index.ts';
import type { Logger } from '../observability/index.ts';
import { postPinned } from './deliver-http.ts';
import type { WebhookMetrics } from './metrics.ts';
import { deliveryHeaders, type Sealer } from './sign-delivery.ts';
import { claimDeliveries, DELIVERY_CHANNEL, postpone, recordAttempt, type AttemptResult, type ClaimedDelivery } from './store.ts';
import { checkTargetUrl, resolveTarget, TargetRefusedError } from './target-guard.ts';

export interface DeliveryWorkerOptions {
  db: Database;
  sealer: Sealer;
  logger: Logger;
  metrics: WebhookMetrics;
  /** Deliveries in flight at once on this instance (webhooks.workers). */
  concurrency: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  perUrl: { count: number; windowMs: number };
  /** The server's rate-limit counters: shared by every instance when Redis is configured, else this instance's. */
  limits: RateLimitStore;
  allowPrivateTargets: boolean;
  pollMs?: number;
  now?: () => number;
  random?: () => number;
}

/** How long a claim holds a row: the longest timeout (60 s) plus room to record the result. */
const HOLD_SECONDS = 90;
const POLL_MS = 1_000;

export class DeliveryWorker {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly o: DeliveryWorkerOptions) {
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
  }

  async start(listener: postgres.Sql): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    const listening = await listener.listen(DELIVERY_CHANNEL, () => this.wake(), () => this.wake()).catch((err: unknown) => {
      this.o.logger.warn({ err }, 'webhooks: could not LISTEN for deliveries; polling only');
      return undefined;
    });
    this.unlisten = listening?.unlisten;
    this.timer = setInterval(() => this.wake(), this.o.pollMs ?? POLL_MS);
    this.timer.unref();
    this.wake();
  }

  /** Stops claiming and waits for the attempts in flight (each bounded by its timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.unlisten?.().catch(() => {});
    this.unlisten = undefined;
    await this.running;
    await Promise.all([...this.inFlight]);
  }

  /** Drains what is due now (tests, and the NOTIFY/poll wake-ups). */
  wake(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.drain()
      .catch((err: unknown) => this.o.logger.warn({ err }, 'webhooks: delivery queue unavailable; retrying'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          void this.wake();
        }
      });
    return this.running;
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const free = this.o.concurrency - this.inFlight.size;
      if (free <= 0) {
        await Promise.race(this.inFlight);
        continue;
      }
      const claimed = await this.o.db.pool.withConnection((sql) => claimDeliveries(sql, free, HOLD_SECONDS));
      if (claimed.length === 0) break;
      for (const d of claimed) {
        const p: Promise<void> = this.attempt(d).catch((err: unknown) => this.o.logger.error({ err, delivery: d.id }, 'webhooks: recording a delivery failed'))
          .finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
      }
    }
    await Promise.all([...this.inFlight]);
  }

  private async attempt(d: ClaimedDelivery): Promise<void> {
    const waitMs = await this.rateLimitWait(d.url);
    if (waitMs > 0) {
      this.o.metrics.deliveries.inc({ outcome: 'postponed' });
      await this.o.db.pool.withConnection((sql) => postpone(sql, d.id, waitMs));
      return;
    }
    const started = performance.now();
    const result = await this.send(d);
    const seconds = (performance.now() - started) / 1000;
    const outcome = result.status === 'success' ? 'success' : result.status === 'dead' ? 'dead' : result.refused ? 'refused' : 'failed';
    this.o.metrics.deliveries.inc({ outcome });
    this.o.metrics.duration.observe({ outcome: result.status }, seconds);
    await this.o.db.pool.withConnection((sql) => recordAttempt(sql, d.id, result));
  }

  private async send(d: ClaimedDelivery): Promise<AttemptResult & { refused?: boolean }> {
    const checked = checkTargetUrl(d.url);
    let failure: string;
    let statusCode: number | null = null;
    let excerpt: string | null = null;
    let refused = false;
    if (!checked.ok) {
      failure = checked.reason;
      refused = true;
    } else {
      try {
        const target = await resolveTarget(checked.url, { allowPrivate: this.o.allowPrivateTargets });
        const body = JSON.stringify(d.payload);
        const headers = deliveryHeaders(d, { eventId: d.event_id, event: d.event, body, nowSeconds: Math.floor(this.now() / 1000), sealer: this.o.sealer });
        const r = await postPinned({ url: checked.url, address: target.address, family: target.family, headers, body, timeoutMs: d.timeout_seconds * 1000 });
        if (r.ok) return { status: 'success', status_code: r.status, response_body: r.responseExcerpt, error: null };
        statusCode = r.status;
        excerpt = r.responseExcerpt;
        failure = r.error ?? `the receiver answered ${r.status}`;
      } catch (err) {
        if (!(err instanceof TargetRefusedError)) throw err;
        failure = err.message;
        refused = true;
      }
    }
    const attemptNo = d.attempt + 1;
    if (attemptNo > d.max_retries) return { status: 'dead', status_code: statusCode, response_body: excerpt, error: failure, refused };
    return { status: 'failed', status_code: statusCode, response_body: excerpt, error: failure, retryInMs: this.backoff(attemptNo), refused };
  }

  /** retry_backoff_base × 2^(attempt−1), ± 20 % jitter, capped at retry_backoff_max. */
  backoff(attempt: number): number {
    const raw = Math.min(this.o.backoffBaseMs * 2 ** (attempt - 1), this.o.backoffMaxMs);
    return Math.round(Math.min(raw * (0.8 + 0.4 * this.random()), this.o.backoffMaxMs));
  }

  /** 0 when the URL may be sent to now (and counts it), else how long until its window resets. */
  private async rateLimitWait(url: string): Promise<number> {
    const { count, windowMs } = this.o.perUrl;
    try {
      const hit = await this.o.limits.hit(`webhook-url:${url}`, windowMs);
      return hit.count > count ? Math.max(1, hit.resetInMs) : 0;
    } catch {
      return 0; // counters unreachable: deliver rather than stall the queue
    }
  }
}
