// The LISTEN connections (hardening item 2.2, docs/realtime.md "Delivery"). The capture
// trigger spreads tables over CHANGE_PARTITIONS channels (one table always on one channel);
// listener i LISTENs to the partitions p with p % size === i, so each notification reaches
// exactly one connection of this instance and a table's changes arrive in commit order.
// A lost connection is re-established with exponential backoff (jittered, 100 ms doubling to
// 10 s); once it listens again the engine tells clients (system frame listener_reconnected),
// since changes committed meanwhile were not received. A connection that stops answering
// (half-open TCP, hung server) is found by a periodic probe and replaced. Extra channels (registry reloads,
// cross-instance broadcast) ride on listener 0.
import postgres from 'postgres';

export interface ListenerPoolOptions {
  url: string;
  size: number;
  partitions: number;
  prefix: string;
  /** Channels listened on by listener 0, besides its partitions. */
  extraChannels: string[];
  /** Channels every listener listens on (schema reloads: see engine.ts onNotify). */
  everyListener?: string[];
  connectTimeoutMs: number;
  onNotify: (channel: string, payload: string) => void;
  /** After a lost connection listens again; `since` is when it was lost. */
  onReconnected: (listener: number, since: Date) => void;
  onError: (listener: number, err: unknown) => void;
  /** How often each listener checks its connection still answers (0: never); default 5 s. */
  probeIntervalMs?: number;
  /** How long LISTEN or the probe may take before the session is replaced; default max(2 s, 2 × connect timeout). */
  probeTimeoutMs?: number;
  /** Backoff before reconnect attempt n (1-based), in ms. */
  backoffMs?: (attempt: number) => number;
}

export const APPLICATION_NAME = 'fluxbase-realtime-listener';

export function listenerBackoffMs(attempt: number): number {
  const base = Math.min(100 * 2 ** Math.max(0, attempt - 1), 10_000);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

export function channelsOf(index: number, options: Pick<ListenerPoolOptions, 'size' | 'partitions' | 'prefix' | 'extraChannels' | 'everyListener'>): string[] {
  const out: string[] = [];
  for (let p = 0; p < options.partitions; p++) if (p % options.size === index) out.push(`${options.prefix}${p}`);
  if (index === 0) out.push(...options.extraChannels);
  out.push(...(options.everyListener ?? []));
  return out;
}

/** Settles like `promise`, or rejects after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  promise.catch(() => {}); // settled late, after the timeout: nobody waits for it any more
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One LISTEN connection. Each session is its own postgres.js client (generation): a session
 * that fails, closes, or stops answering the liveness probe is ended and never reused, and
 * whatever it reports afterwards is ignored. A probe on the listening connection (are all
 * its channels still listened on?) catches what TCP does not report: a half-open connection or a hung server would otherwise
 * leave the feed silent for good (realtime-faults.test.ts, listener-pool.test.ts).
 */
class Listener {
  private sql: postgres.Sql | undefined;
  private generation = 0;
  private stopped = false;
  private listening = false;
  private probing = false;
  private lostAt: Date | undefined;
  private timer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private readonly answerMs: number;

  constructor(private readonly index: number, private readonly channels: string[], private readonly options: ListenerPoolOptions) {
    this.answerMs = options.probeTimeoutMs ?? Math.max(2_000, options.connectTimeoutMs * 2);
  }

  get up(): boolean {
    return this.listening;
  }

  /** Listen now; when the database cannot be reached yet, keep retrying in the background. */
  async start(): Promise<void> {
    const every = this.options.probeIntervalMs ?? 5_000;
    if (every > 0) {
      this.probeTimer = setInterval(() => void this.probe(), every);
      this.probeTimer.unref();
    }
    await this.session();
  }

  private open(generation: number): postgres.Sql {
    // `onnotify` is a postgres.js option its typings omit (node_modules/postgres/src/index.js, listen()).
    const notify = { onnotify: (channel: string, payload: string) => { if (!this.stopped && generation === this.generation) this.options.onNotify(channel, payload); } };
    return postgres(this.options.url, {
      ...(notify as object),
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      fetch_types: false,
      prepare: false,
      onnotice: () => {},
      connect_timeout: Math.max(1, Math.ceil(this.options.connectTimeoutMs / 1000)),
      connection: { application_name: APPLICATION_NAME },
      onclose: () => this.lost(generation, new Error('the LISTEN connection closed')),
    });
  }

  /** Open a new session and LISTEN on it; a failure schedules the next attempt. */
  private async session(): Promise<void> {
    const generation = ++this.generation;
    const sql = (this.sql = this.open(generation));
    const statement = this.channels.map((c) => `listen "${c.replace(/"/g, '""')}"`).join(';');
    try {
      await within(sql.unsafe(statement).simple(), this.answerMs + this.options.connectTimeoutMs, 'LISTEN');
    } catch (err) {
      this.lost(generation, err);
      return;
    }
    if (this.stopped || generation !== this.generation) return;
    this.listening = true;
    this.attempt = 0;
    if (this.lostAt) {
      const since = this.lostAt;
      this.lostAt = undefined;
      this.options.onReconnected(this.index, since);
    }
  }

  /** The connection answers in time and still listens on every channel, or its session is ended and replaced. */
  private async probe(): Promise<void> {
    if (this.stopped || !this.listening || this.probing || !this.sql) return;
    const generation = this.generation;
    this.probing = true;
    try {
      const rows = await within(this.sql.unsafe('select count(*)::int as n from pg_catalog.pg_listening_channels()').simple(), this.answerMs, 'the liveness probe');
      const n = (rows[0] as { n?: number } | undefined)?.n ?? 0;
      if (n < this.channels.length) throw new Error(`the LISTEN connection listens on ${n} of its ${this.channels.length} channels`);
    } catch (err) {
      this.lost(generation, err);
    } finally {
      this.probing = false;
    }
  }

  /** Session `generation` failed: end it (once) and schedule a new one. */
  private lost(generation: number, err: unknown): void {
    if (this.stopped || generation !== this.generation) return;
    this.generation++; // later reports from the failed session are ignored
    this.options.onError(this.index, err);
    this.listening = false;
    this.lostAt ??= new Date();
    const old = this.sql;
    this.sql = undefined;
    old?.end({ timeout: 0 }).catch(() => {});
    this.retry();
  }

  private retry(): void {
    if (this.stopped || this.timer) return;
    this.attempt++;
    const delay = (this.options.backoffMs ?? listenerBackoffMs)(this.attempt);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped && !this.listening) void this.session();
    }, delay);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    await this.sql?.end({ timeout: 1 }).catch(() => {});
  }
}

export class ListenerPool {
  private readonly listeners: Listener[];

  constructor(options: ListenerPoolOptions) {
    const size = Math.max(1, Math.min(options.size, options.partitions));
    const opts = { ...options, size };
    this.listeners = Array.from({ length: size }, (_, i) => new Listener(i, channelsOf(i, opts), opts));
  }

  /** Resolves once every listener listens; a listener that cannot connect yet keeps retrying. */
  async start(): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.start()));
  }

  healthy(): boolean {
    return this.listeners.every((l) => l.up);
  }

  async stop(): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.stop()));
  }
}
