// One client connection: its identity, its postgres_changes subscriptions, the broadcast and
// presence channels it joined, and its bounded send queue (docs/realtime.md "Limits").
// Sending never blocks the engine: frames wait in the queue, a few are in flight to the
// socket at a time, and a full queue drops the frame (counted). The slow-client sweep
// (engine.ts) closes a connection whose queue stays at the threshold too long.
import type { Identity, Outgoing, Transport } from './types.ts';

/** Frames handed to the socket before waiting for one to leave the process. */
const IN_FLIGHT = 16;

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
  private readonly queue: string[] = [];
  private head = 0;
  private inFlight = 0;
  private paused = false;

  constructor(
    readonly id: string,
    public identity: Identity,
    readonly remoteAddr: string,
    readonly connectedAt: Date,
    private readonly transport: Transport,
    private readonly capacity: number,
    private readonly onDrop: () => void,
  ) {}

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
    this.pump();
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
    this.pump();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.head = 0;
    this.transport.close(code, reason);
  }

  private pump(): void {
    while (this.inFlight < IN_FLIGHT && this.head < this.queue.length && !this.closed) {
      const text = this.queue[this.head]!;
      this.queue[this.head++] = '';
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.inFlight++;
      this.transport.write(text, () => {
        this.inFlight--;
        this.pump();
      });
    }
    if (this.head === this.queue.length && this.head > 0) {
      this.queue.length = 0;
      this.head = 0;
    }
    if (this.paused && this.depth < this.capacity / 2) {
      this.paused = false;
      this.transport.resume?.();
    }
  }
}
