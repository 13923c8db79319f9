// The LISTEN connections (hardening item 2.2, docs/realtime.md "Delivery"). The capture
// trigger spreads tables over CHANGE_PARTITIONS channels (one table always on one channel);
// listener i LISTENs to the partitions p with p % size === i, so each notification reaches
// exactly one connection of this instance and a table's changes arrive in commit order.
// A lost connection is re-established with exponential backoff (jittered, 100 ms doubling to
// 10 s); once it listens again the engine tells clients (system frame listener_reconnected),
// since changes committed meanwhile were not received. Extra channels (registry reloads,
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

class Listener {
  private readonly sql: postgres.Sql;
  private stopped = false;
  private listening = false;
  private lostAt: Date | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;

  constructor(private readonly index: number, private readonly channels: string[], private readonly options: ListenerPoolOptions) {
    // `onnotify` is a postgres.js option its typings omit (node_modules/postgres/src/index.js, listen()).
    const notify = { onnotify: (channel: string, payload: string) => { if (!this.stopped) options.onNotify(channel, payload); } };
    this.sql = postgres(options.url, {
      ...(notify as object),
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      fetch_types: false,
      prepare: false,
      onnotice: () => {},
      connect_timeout: Math.max(1, Math.ceil(options.connectTimeoutMs / 1000)),
      connection: { application_name: APPLICATION_NAME },
      onclose: () => this.lost(),
    });
  }

  get up(): boolean {
    return this.listening;
  }

  /** Listen now; when the database cannot be reached yet, keep retrying in the background. */
  async start(): Promise<void> {
    await this.listen().catch((err: unknown) => {
      this.options.onError(this.index, err);
      this.lostAt ??= new Date();
      this.retry();
    });
  }

  private async listen(): Promise<void> {
    const statement = this.channels.map((c) => `listen "${c.replace(/"/g, '""')}"`).join(';');
    await this.sql.unsafe(statement).simple();
    this.listening = true;
    this.attempt = 0;
    if (this.lostAt) {
      const since = this.lostAt;
      this.lostAt = undefined;
      this.options.onReconnected(this.index, since);
    }
  }

  private lost(): void {
    if (this.stopped) return;
    this.listening = false;
    this.lostAt ??= new Date();
    this.retry();
  }

  private retry(): void {
    if (this.stopped || this.timer) return;
    this.attempt++;
    const delay = (this.options.backoffMs ?? listenerBackoffMs)(this.attempt);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped || this.listening) return;
      this.listen().catch((err: unknown) => {
        this.options.onError(this.index, err);
        // A failed attempt may not close a connection (none was opened): schedule the next one here.
        this.retry();
      });
    }, delay);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.sql.end({ timeout: 1 }).catch(() => {});
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
