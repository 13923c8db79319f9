// One client connection: its identity, its postgres_changes subscriptions, the broadcast and
// presence channels it joined, and its bounded send queue (docs/realtime.md "Delivery").
// Sending never blocks the engine: frames wait in the queue and are handed to the socket
// together once the current fan-out is done (one system call per connection for all the
// frames of a batch, bench/README.md "Realtime"), as long as the socket holds less than
// HIGH_WATER bytes; past it the queue waits for the socket to drain. A full queue drops the
// frame (counted). The slow-client sweep (engine.ts) closes a connection whose queue stays at
// the threshold too long.
import type { Column } from '../../db/index.ts';
import type { Identity, Outgoing, Transport } from './types.ts';

/** Bytes the socket may hold unsent before frames wait in the queue instead. */
const HIGH_WATER = 64 * 1024;
/** Frames handed to the socket in one write. */
const MAX_WRITE = 512;

export interface Subscription {
  id: string;
  connection: Connection;
  channel: string;
  schema: string;
  table: string;
  event: '*' | 'INSERT' | 'UPDATE' | 'DELETE';
  filterText?: string | undefined;
  /** True when the row passes the subscription's filter (absent: no filter). */
  matches?: ((row: Record<string, unknown>) => boolean) | undefined;
  /** A lone `column=eq.value` filter, indexed by value (engine/subscriptions.ts). */
  equality?: { column: Column; key: string } | undefined;
}

export interface ChannelMembership {
  broadcastSelf: boolean;
  broadcastAck: boolean;
  /** The key this connection tracks presence under, once it tracked. */
  presenceKey?: string | undefined;
  presenceConfigKey?: string | undefined;
}

export class Connection {
  readonly subscriptions = new Map<string, Subscription>();
  readonly channels = new Map<string, ChannelMembership>();
  /** When the queue first reached the slow threshold (engine clock), undefined while below it. */
  slowSince: number | undefined;
  closed = false;
  /** The token expired: subscriptions ended until an access_token message renews it. */
  expired = false;
  private queue: string[] = [];
  private head = 0;
  private scheduled = false;
  private paused = false;

  constructor(
    readonly id: string,
    public identity: Identity,
    readonly remoteAddr: string,
    readonly connectedAt: Date,
    private readonly transport: Transport,
    private readonly capacity: number,
    private readonly onDrop: () => void,
  ) {
    transport.onDrain?.(() => this.flush());
  }

  /** Frames waiting to be written. */
  get depth(): number {
    return this.queue.length - this.head;
  }

  render(message: Outgoing): string {
    return this.transport.render(message);
  }

  /** Queue a message; false when the queue was full and it was dropped. */
  send(message: Outgoing): boolean {
    return this.sendText(this.transport.render(message));
  }

  sendText(text: string): boolean {
    if (this.closed) return false;
    if (this.depth >= this.capacity) {
      this.onDrop();
      return false;
    }
    this.queue.push(text);
    this.schedule();
    return true;
  }

  /**
   * Queue the answer to one of the client's own frames (ack, error). Answers are never
   * dropped: while the queue is full the socket stops reading, so a client that sends without
   * reading is slowed by TCP instead of growing this queue.
   */
  reply(text: string): void {
    if (this.closed) return;
    this.queue.push(text);
    if (!this.paused && this.depth >= this.capacity) {
      this.paused = true;
      this.transport.pause?.();
    }
    this.schedule();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    // What is queued goes before the close frame (a shutdown notice, the last changes),
    // unless the client is not reading anyway.
    if (this.depth > 0 && this.transport.buffered() < HIGH_WATER) this.transport.write(this.queue.slice(this.head));
    this.closed = true;
    this.queue = [];
    this.head = 0;
    this.transport.close(code, reason);
  }

  /** Write once the synchronous fan-out in progress has queued everything it will. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.closed || this.depth === 0 || this.transport.buffered() >= HIGH_WATER) return;
    const end = Math.min(this.queue.length, this.head + MAX_WRITE);
    const batch = this.queue.slice(this.head, end);
    if (end === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else {
      this.head = end;
      if (this.head > 1024) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    }
    this.transport.write(batch);
    if (this.paused && this.depth < this.capacity / 2) {
      this.paused = false;
      this.transport.resume?.();
    }
    // More left and the socket took this batch at once: keep going on the next turn.
    if (this.depth > 0 && this.transport.buffered() < HIGH_WATER) this.schedule();
  }
}
