// Test-only: a WebSocket double driven by the test (open, frames from the server, close),
// recording what the SDK sends, and timers that run only when the test advances them.
// Used by the unit tests beside it; never imported by the SDK itself.
import type { RealtimeTimers, RealtimeWebSocket, RealtimeWebSocketConstructor } from './types.ts';

export type Frame = Record<string, unknown>;

export class FakeSocket implements RealtimeWebSocket {
  readyState = 0;
  onopen: RealtimeWebSocket['onopen'] = null;
  onmessage: RealtimeWebSocket['onmessage'] = null;
  onclose: RealtimeWebSocket['onclose'] = null;
  onerror: RealtimeWebSocket['onerror'] = null;
  /** Frames the SDK sent, parsed. */
  readonly sent: Frame[] = [];
  closedWith: { code: number | undefined; reason: string | undefined } | undefined;
  readonly url: URL;

  constructor(url: string) {
    this.url = new URL(url);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data) as Frame);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code: code ?? 1005, reason: reason ?? '' });
  }

  // ---- the server's side --------------------------------------------------------------

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(frame: Frame): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  /** The server or the network ends the connection. */
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** Sent frames of one type. */
  frames(type: string): Frame[] {
    return this.sent.filter((f) => f.type === type);
  }

  /** Acknowledge every subscribe frame sent so far that has no answer yet, as the server does (docs/realtime.md "Protocol"). */
  ackSubscribes(ids: (frame: Frame) => string = (f) => `sub-${String(f.messageId)}`): void {
    for (const f of this.frames('subscribe')) {
      if (this.answered.has(f)) continue;
      this.answered.add(f);
      const config = (f.config ?? {}) as Frame;
      const payload: Frame = typeof config.table === 'string'
        ? { subscribed: true, subscription_id: ids(f), channel: f.channel, schema: config.schema, table: config.table, event: config.event, ...(config.filter === undefined ? {} : { filter: config.filter }) }
        : { subscribed: true, channel: f.channel };
      this.receive({ type: 'ack', channel: f.channel, messageId: f.messageId, payload });
    }
  }

  private readonly answered = new Set<Frame>();
}

/** A WebSocket class whose instances the test can reach. */
export function fakeWebSocket(): { WebSocket: RealtimeWebSocketConstructor; sockets: FakeSocket[]; last(): FakeSocket } {
  const sockets: FakeSocket[] = [];
  class Impl extends FakeSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return {
    WebSocket: Impl,
    sockets,
    last: () => {
      const s = sockets.at(-1);
      if (s === undefined) throw new Error('no socket was opened');
      return s;
    },
  };
}

/** Timers on a virtual clock: nothing runs until `advance`. */
export class ManualTimers implements RealtimeTimers {
  now = 0;
  private seq = 0;
  private readonly tasks = new Map<number, { at: number; ms: number; callback: () => void }>();

  setTimeout = (callback: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.tasks.set(id, { at: this.now + ms, ms, callback });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.tasks.delete(handle as number);
  };

  /** Run every timer due within `ms`, in order, moving the clock as they fire. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.tasks) if (entry[1].at <= target && (next === undefined || entry[1].at < next[1].at)) next = entry;
      if (next === undefined) break;
      this.tasks.delete(next[0]);
      this.now = next[1].at;
      next[1].callback();
    }
    this.now = target;
  }

  /** Delays (as requested) of the timers still pending. */
  pending(): number[] {
    return [...this.tasks.values()].map((t) => t.ms);
  }
}

/** Let promise callbacks (token lookups, session loading) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}
