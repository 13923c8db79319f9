// Delivery workers (docs/webhooks.md "Delivery"): woken by the trigger's NOTIFY (and a poll,
// for notifications missed while the LISTEN connection was down), they turn the changes the
// trigger appended to the outbox into delivery rows (store.ts fanOutEvents) and claim due
// deliveries, with SKIP LOCKED, `webhooks.workers` at a time per instance, and send each to the address
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
import { claimDeliveries, DELIVERY_CHANNEL, fanOutEvents, postpone, recordAttempts, releaseClaims, type AttemptResult, type ClaimedDelivery, type Queryable } from './store.ts';
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
  /** The owner connection (db.admin), for the queue's own VACUUM; absent: autovacuum only. */
  owner?: postgres.Sql;
  pollMs?: number;
  now?: () => number;
  random?: () => number;
}

/** How long a claim holds a row: the longest timeout (60 s) plus room to wait in the buffer and record the result. */
const HOLD_SECONDS = 90;
const POLL_MS = 1_000;
/** Rows claimed ahead per instance (the buffer the slots take from). */
const PREFETCH = 64;
/** The next claim starts when fewer rows than this wait, so the buffer does not run dry meanwhile. */
const REFILL_BELOW = 32;
/** Results are written together: after FLUSH_MS, or at once when FLUSH_ROWS are waiting. */
const FLUSH_MS = 10;
const FLUSH_ROWS = 64;
const VACUUM_EVERY_ROWS = 5_000;
const VACUUM_MIN_MS = 5_000;

export class DeliveryWorker {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly now: () => number;
  private readonly random: () => number;
  private sinceVacuum = 0;
  private lastVacuum = -Infinity;
  private vacuuming = false;
  /** Claimed deliveries not yet started. */
  private readonly buffer: ClaimedDelivery[] = [];
  private readonly results: (AttemptResult & { id: string })[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** Opened secrets by their sealed text (a rotation or re-key makes new text), so a delivery does not decrypt again. */
  private readonly opened = new Map<string, string>();
  private readonly open = (sealed: string): string => {
    let plain = this.opened.get(sealed);
    if (plain === undefined) {
      plain = this.o.sealer.decrypt(sealed);
      if (this.opened.size >= 10_000) this.opened.clear();
      this.opened.set(sealed, plain);
    }
    return plain;
  };

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

  /** Stops claiming, waits for the attempts in flight (each bounded by its timeout), records them, and releases what was claimed but not started. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.unlisten?.().catch(() => {});
    this.unlisten = undefined;
    await this.running;
    await Promise.all([...this.inFlight]);
    await this.flush();
    const unsent = this.buffer.splice(0);
    if (unsent.length > 0) await this.o.db.pool.withConnection((sql) => releaseClaims(sql, unsent.map((d) => d.id))).catch(() => {});
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

  /**
   * Keeps `concurrency` attempts in flight from a local buffer refilled ahead: a claim for up
   * to PREFETCH rows starts when the buffer falls below REFILL_BELOW and runs while the slots
   * keep working, and a finished attempt starts the next at once (fill), so neither the claim's
   * round trip nor this loop's turn paces the deliveries (bench/README.md "Webhooks", W1).
   * Results are recorded in batches (flush). Returns when a claim found nothing and every
   * attempt has ended.
   */
  private async drain(): Promise<void> {
    let claim: Promise<void> | undefined;
    let exhausted = false;
    while (!this.stopped) {
      this.fill();
      if (claim === undefined && !exhausted && this.buffer.length < REFILL_BELOW) {
        claim = this.o.db.pool.withConnection((sql) => this.claim(sql, PREFETCH - this.buffer.length)).then((progress) => {
          if (!progress) exhausted = true;
          this.fill();
        }).finally(() => (claim = undefined));
      }
      if (claim === undefined && this.inFlight.size === 0 && this.buffer.length === 0) break;
      await Promise.race(claim === undefined ? this.inFlight : [claim, ...this.inFlight]);
    }
    await claim;
    await Promise.all([...this.inFlight]);
    await this.flush();
  }

  /**
   * Fills the buffer with up to `want` deliveries: new changes from the outbox first (fanned
   * out into delivery rows this worker holds), then due retries and expired claims. False when
   * there was nothing to take.
   */
  private async claim(sql: Queryable, want: number): Promise<boolean> {
    const fresh = await fanOutEvents(sql, want, HOLD_SECONDS);
    this.buffer.push(...fresh.deliveries);
    const rest = want - fresh.deliveries.length;
    const due = rest > 0 ? await claimDeliveries(sql, rest, HOLD_SECONDS) : [];
    this.buffer.push(...due);
    return fresh.events > 0 || due.length > 0;
  }

  /** Starts attempts from the buffer while slots are free. */
  private fill(): void {
    while (!this.stopped && this.inFlight.size < this.o.concurrency && this.buffer.length > 0) this.begin(this.buffer.shift()!);
  }

  private begin(d: ClaimedDelivery): void {
    const p: Promise<void> = this.attempt(d)
      .catch((err: unknown) => this.o.logger.error({ err, delivery: d.id }, 'webhooks: a delivery attempt failed unexpectedly'))
      .finally(() => {
        this.inFlight.delete(p);
        this.fill();
      });
    this.inFlight.add(p);
  }

  private async attempt(d: ClaimedDelivery): Promise<void> {
    const waitMs = await this.rateLimitWait(d.url);
    if (waitMs > 0) {
      this.o.metrics.deliveries.inc({ status: 'postponed' });
      await this.o.db.pool.withConnection((sql) => postpone(sql, d.id, waitMs));
      return;
    }
    const started = performance.now();
    const result = await this.send(d);
    const seconds = (performance.now() - started) / 1000;
    const status = result.status === 'success' ? 'success' : result.status === 'dead' ? 'dead' : result.refused ? 'refused' : 'failed';
    this.o.metrics.deliveries.inc({ status });
    this.o.metrics.duration.observe({ status: result.status }, seconds);
    this.record(d.id, result);
  }

  /** Queues an attempt's result; written with others in one UPDATE (at most FLUSH_MS later). */
  private record(id: string, result: AttemptResult): void {
    this.results.push({ id, ...result });
    if (this.results.length >= FLUSH_ROWS) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /**
   * Writes the queued results. One at a time; a failed write keeps them for the next try (the
   * claims stay held meanwhile, and expire if this process dies: the deliveries are sent again).
   */
  flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushing = (this.flushing ?? Promise.resolve()).then(async () => {
      const batch = this.results.splice(0);
      if (batch.length === 0) return;
      try {
        await this.o.db.pool.withConnection((sql) => recordAttempts(sql, batch));
        this.vacuumSoon(batch.length);
      } catch (err) {
        this.results.unshift(...batch);
        this.o.logger.warn({ err, results: batch.length }, 'webhooks: could not record delivery results; retrying');
        if (!this.stopped) this.flushTimer ??= setTimeout(() => void this.flush(), 1_000);
      }
    });
    return this.flushing;
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
        const body = d.body;
        const headers = deliveryHeaders(d, { eventId: d.event_id, event: d.event, body, nowSeconds: Math.floor(this.now() / 1000), open: this.open });
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

  /**
   * Every finished delivery leaves a dead entry in the claim's index until the table is
   * vacuumed, and the claim scans past them: at 2,000 deliveries/s autovacuum (once a minute
   * at best) lets its cost grow several-fold (bench/README.md "Webhooks"). So after
   * VACUUM_EVERY_ROWS results, at most every VACUUM_MIN_MS, the worker vacuums the table itself
   * (owner connection; SKIP_LOCKED, so instances never queue behind each other).
   */
  private vacuumSoon(rows: number): void {
    this.sinceVacuum += rows;
    const now = performance.now();
    if (this.sinceVacuum < VACUUM_EVERY_ROWS || now - this.lastVacuum < VACUUM_MIN_MS || this.vacuuming || !this.o.owner) return;
    this.sinceVacuum = 0;
    this.lastVacuum = now;
    this.vacuuming = true;
    const owner = this.o.owner;
    void owner.unsafe('vacuum (skip_locked) webhooks.deliveries')
      .catch((err: unknown) => this.o.logger.debug({ err }, 'webhooks: vacuum of the delivery queue skipped'))
      .finally(() => (this.vacuuming = false));
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
