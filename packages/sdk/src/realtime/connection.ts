// The WebSocket itself: opening it (with a timeout), heartbeats, the idle check, reconnect
// with backoff after any close that was not ours, and sending. It knows no channels: the
// RealtimeClient hears `opened`, every parsed frame and `closed` through ConnectionEvents.
import { FluxbaseError } from '../errors.ts';
import { backoffDelay, type BackoffSettings } from './backoff.ts';
import { frameText, HEARTBEAT_FRAME, parseServerFrame, type ClientFrame, type ServerFrame } from './frames.ts';
import type { RealtimeTimers, RealtimeWebSocket, RealtimeWebSocketConstructor } from './types.ts';

export type RealtimeConnectionState = 'closed' | 'connecting' | 'open';

export interface ConnectionSettings {
  WebSocket: RealtimeWebSocketConstructor | undefined;
  heartbeatMs: number;
  idleMs: number;
  timeoutMs: number;
  backoff: BackoffSettings;
  random: () => number;
  timers: RealtimeTimers;
}

export interface ConnectionEvents {
  /** The URL to open now (the client may refresh its token first). */
  url(): Promise<string>;
  /** Whether anything still needs the socket: without, there is no reconnect. */
  wanted(): boolean;
  opened(): void;
  frame(frame: ServerFrame): void;
  /** The socket is gone (not by `shutdown`); a reconnect is scheduled when still wanted. */
  closed(error: FluxbaseError): void;
  /** Reconnect attempts ran out (`reconnect.maxAttempts`). */
  gaveUp(error: FluxbaseError): void;
}

type TimerName = 'reconnect' | 'connect' | 'heartbeat' | 'idle';
const TIMERS: readonly TimerName[] = ['reconnect', 'connect', 'heartbeat', 'idle'];
const OPEN = 1;
const NORMAL_CLOSURE = 1000;

export class RealtimeConnection {
  private readonly settings: ConnectionSettings;
  private readonly events: ConnectionEvents;
  private readonly openWaiters = new Set<(open: boolean) => void>();
  private socket: RealtimeWebSocket | null = null;
  private current: RealtimeConnectionState = 'closed';
  private attempt = 0;
  /** Bumped to cancel a connect that is still waiting for its URL. */
  private connectSeq = 0;
  private serverHeartbeats = false;
  /** An error frame (limits) that explains the close following it. */
  private closeReason: FluxbaseError | null = null;
  private readonly timerHandles: Record<TimerName, unknown> = { reconnect: undefined, connect: undefined, heartbeat: undefined, idle: undefined };

  constructor(settings: ConnectionSettings, events: ConnectionEvents) {
    this.settings = settings;
    this.events = events;
  }

  get state(): RealtimeConnectionState {
    return this.current;
  }

  /** Open the socket unless it is open, opening, or waiting out a backoff delay. */
  ensureConnected(): void {
    if (this.current !== 'closed' || this.timerHandles.reconnect !== undefined) return;
    // A user action after the attempts ran out starts afresh.
    if (this.attempt >= this.settings.backoff.maxAttempts) this.attempt = 0;
    this.connect();
  }

  /** Resolves true once the socket is open (opening it if needed), false after `timeoutMs`. */
  whenOpen(timeoutMs: number): Promise<boolean> {
    if (this.current === 'open') return Promise.resolve(true);
    this.ensureConnected();
    return new Promise((resolve) => {
      const timer = this.settings.timers.setTimeout(() => { this.openWaiters.delete(done); resolve(false); }, timeoutMs);
      const done = (open: boolean) => {
        this.settings.timers.clearTimeout(timer);
        this.openWaiters.delete(done);
        resolve(open);
      };
      this.openWaiters.add(done);
    });
  }

  /** Send on the open socket; false when it is not open. */
  send(frame: ClientFrame): boolean {
    const socket = this.socket;
    if (socket === null || this.current !== 'open' || socket.readyState !== OPEN) return false;
    try {
      socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** The server accepted us (an ack, a heartbeat): the backoff starts again from its first delay. */
  healthy(): void {
    this.attempt = 0;
  }

  /** Report this error, rather than the bare close code, when the socket closes. */
  explainClose(error: FluxbaseError): void {
    this.closeReason = error;
  }

  /** Our own close (nothing needs the socket any more): code 1000, no reconnect. */
  shutdown(): void {
    this.connectSeq++;
    const socket = this.socket;
    this.socket = null;
    this.current = 'closed';
    this.attempt = 0;
    this.clearAllTimers();
    this.settleWaiters(false);
    try {
      socket?.close(NORMAL_CLOSURE, 'no channels');
    } catch {
      // Already closing.
    }
  }

  // ---- internals ---------------------------------------------------------------------------

  private connect(): void {
    if (this.current !== 'closed' || !this.events.wanted()) return;
    this.clearTimer('reconnect');
    this.current = 'connecting';
    void this.open(++this.connectSeq);
  }

  private async open(seq: number): Promise<void> {
    let url: string;
    try {
      url = await this.events.url();
    } catch (cause) {
      if (seq === this.connectSeq) this.closed(connectionError('REALTIME_DISCONNECTED', `No URL to connect to: ${String(cause)}`, cause));
      return;
    }
    if (seq !== this.connectSeq) return;
    const Impl = this.settings.WebSocket ?? (globalThis as { WebSocket?: RealtimeWebSocketConstructor }).WebSocket;
    if (Impl === undefined) {
      // Retrying cannot help: report it and stay closed until the next user action.
      this.current = 'closed';
      this.settleWaiters(false);
      this.events.closed(connectionError('REALTIME_UNAVAILABLE', 'No WebSocket implementation: pass realtime.WebSocket (e.g. the ws package) to createClient'));
      return;
    }
    let socket: RealtimeWebSocket;
    try {
      socket = new Impl(url);
    } catch (cause) {
      this.closed(connectionError('REALTIME_DISCONNECTED', `Could not open the WebSocket: ${cause instanceof Error ? cause.message : String(cause)}`, cause));
      return;
    }
    this.socket = socket;
    socket.onopen = () => { if (this.socket === socket) this.opened(); };
    socket.onmessage = (event) => { if (this.socket === socket) this.received(event.data); };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      const why = event.reason ? `${event.code}: ${event.reason}` : String(event.code);
      this.closed(connectionError('REALTIME_DISCONNECTED', `The realtime connection closed (${why})`));
    };
    socket.onerror = () => {}; // a close event follows
    this.timerHandles.connect = this.settings.timers.setTimeout(() => {
      this.timerHandles.connect = undefined;
      if (this.socket === socket && this.current === 'connecting') this.abandon(`not open after ${this.settings.timeoutMs} ms`);
    }, this.settings.timeoutMs);
  }

  private opened(): void {
    this.clearTimer('connect');
    this.current = 'open';
    this.closeReason = null;
    this.serverHeartbeats = false;
    this.scheduleHeartbeat();
    this.events.opened();
    this.settleWaiters(true);
  }

  private received(data: unknown): void {
    const text = frameText(data);
    const frame = text === null ? null : parseServerFrame(text);
    if (frame === null) return;
    if (frame.type === 'heartbeat') this.serverHeartbeats = true;
    this.armIdleCheck();
    this.events.frame(frame);
  }

  /** The socket is gone (closed by the server, the network, or never opened). */
  private closed(reason: FluxbaseError): void {
    this.socket = null;
    this.current = 'closed';
    this.clearTimer('connect');
    this.clearTimer('heartbeat');
    this.clearTimer('idle');
    const error = this.closeReason ?? reason;
    this.closeReason = null;
    this.events.closed(error);
    if (this.events.wanted()) this.scheduleReconnect(error);
  }

  /** Give up on a socket that does not open or has gone silent, and reconnect. */
  private abandon(why: string): void {
    const socket = this.socket;
    this.socket = null;
    try {
      socket?.close();
    } catch {
      // Already closing.
    }
    this.closed(connectionError('REALTIME_DISCONNECTED', `The realtime connection was dropped: ${why}`));
  }

  private scheduleReconnect(error: FluxbaseError): void {
    if (this.timerHandles.reconnect !== undefined) return;
    if (this.attempt >= this.settings.backoff.maxAttempts) {
      this.events.gaveUp(error);
      return;
    }
    const delay = backoffDelay(this.attempt, this.settings.backoff, this.settings.random);
    this.attempt++;
    this.timerHandles.reconnect = this.settings.timers.setTimeout(() => {
      this.timerHandles.reconnect = undefined;
      this.connect();
    }, delay);
  }

  private scheduleHeartbeat(): void {
    if (this.settings.heartbeatMs === 0) return;
    this.timerHandles.heartbeat = this.settings.timers.setTimeout(() => {
      this.timerHandles.heartbeat = undefined;
      if (this.current !== 'open') return;
      this.send(HEARTBEAT_FRAME);
      this.scheduleHeartbeat();
    }, this.settings.heartbeatMs);
  }

  /** Restarted by every frame once the server has shown that it sends heartbeats. */
  private armIdleCheck(): void {
    if (this.settings.idleMs === 0 || !this.serverHeartbeats) return;
    this.clearTimer('idle');
    this.timerHandles.idle = this.settings.timers.setTimeout(() => {
      this.timerHandles.idle = undefined;
      if (this.current === 'open') this.abandon(`nothing received for ${this.settings.idleMs} ms`);
    }, this.settings.idleMs);
  }

  private settleWaiters(open: boolean): void {
    for (const waiter of [...this.openWaiters]) waiter(open);
  }

  private clearTimer(name: TimerName): void {
    const handle = this.timerHandles[name];
    if (handle !== undefined) this.settings.timers.clearTimeout(handle);
    this.timerHandles[name] = undefined;
  }

  private clearAllTimers(): void {
    for (const name of TIMERS) this.clearTimer(name);
  }
}

/** A connection failure as the error channels report with CHANNEL_ERROR. */
function connectionError(code: 'REALTIME_DISCONNECTED' | 'REALTIME_UNAVAILABLE', message: string, cause?: unknown): FluxbaseError {
  const error = code === 'REALTIME_UNAVAILABLE' ? 'Realtime unavailable' : 'Realtime connection lost';
  return new FluxbaseError({ status: 0, code, error, message, cause });
}
