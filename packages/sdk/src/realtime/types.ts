// Public shapes of `client.realtime` and its channels (docs/sdk-realtime.md): options,
// callback payloads, statuses and the WebSocket slice the SDK needs. Types only; nothing
// here exists at run time.
import type { FluxbaseError } from '../errors.ts';

/** What `subscribe(callback)` reports. */
export type RealtimeChannelStatus = 'SUBSCRIBED' | 'TIMED_OUT' | 'CLOSED' | 'CHANNEL_ERROR';

export type RealtimeStatusCallback = (status: RealtimeChannelStatus, error?: FluxbaseError) => void;

/** Outcome of `send`, `track`, `untrack` and `unsubscribe`. */
export type RealtimeSendResult = 'ok' | 'timed out' | 'error';

export type RealtimePostgresChangesEvent = 'INSERT' | 'UPDATE' | 'DELETE' | '*';

/** Which changes a `postgres_changes` listener wants. */
export interface RealtimePostgresChangesFilter<E extends RealtimePostgresChangesEvent = RealtimePostgresChangesEvent> {
  event: E;
  /** Default: `public`. */
  schema?: string;
  table: string;
  /** One condition in the REST grammar `column=op.value` (`eq neq gt gte lt lte like ilike in is`). Default: none. */
  filter?: string;
}

interface PostgresChangesBase {
  schema: string;
  table: string;
  /** When the change committed (the client's clock if the server sent none). */
  commit_timestamp: string;
  errors: null;
}

/** `new` is the inserted row; `old` is `{}`. */
export interface RealtimePostgresInsertPayload<Row extends object> extends PostgresChangesBase {
  eventType: 'INSERT';
  new: Row;
  old: Record<string, never>;
}

/** `old` holds the previous row (columns excluded on the server are missing). */
export interface RealtimePostgresUpdatePayload<Row extends object> extends PostgresChangesBase {
  eventType: 'UPDATE';
  new: Row;
  old: Partial<Row>;
}

/** `new` is `{}`; `old` is the deleted row. */
export interface RealtimePostgresDeletePayload<Row extends object> extends PostgresChangesBase {
  eventType: 'DELETE';
  new: Record<string, never>;
  old: Partial<Row>;
}

export type RealtimePostgresChangesPayload<Row extends object = Record<string, unknown>> =
  | RealtimePostgresInsertPayload<Row>
  | RealtimePostgresUpdatePayload<Row>
  | RealtimePostgresDeletePayload<Row>;

/** A broadcast message as listeners receive it. */
export interface RealtimeBroadcastPayload<T = Record<string, unknown>> {
  type: 'broadcast';
  event: string;
  payload: T;
}

/** `currentPresences` are the key's presences after the join. */
export interface RealtimePresenceJoinPayload<T = Record<string, unknown>> {
  event: 'join';
  key: string;
  newPresences: T[];
  currentPresences: T[];
}

/** `currentPresences` are the key's presences after the leave (often none). */
export interface RealtimePresenceLeavePayload<T = Record<string, unknown>> {
  event: 'leave';
  key: string;
  leftPresences: T[];
  currentPresences: T[];
}

/** Presence key → the states tracked under it. */
export type RealtimePresenceState<T = Record<string, unknown>> = Record<string, T[]>;

/**
 * A server notice: `listener_reconnected` (the change feed reconnected; changes since
 * `since` may have been missed: refetch), `changes_dropped` (the server could not keep up
 * and dropped changes: refetch) or `shutdown` (the server is draining; the SDK reconnects
 * by itself). docs/realtime.md "Protocol".
 */
export interface RealtimeSystemPayload {
  event: 'listener_reconnected' | 'changes_dropped' | 'shutdown' | (string & {});
  message?: string;
  since?: string;
  [field: string]: unknown;
}

export interface RealtimeChannelOptions {
  config?: {
    /** `self`: receive your own broadcasts (default false); `ack`: `send` waits for the server's ack (default false). */
    broadcast?: { self?: boolean; ack?: boolean };
    /** `key`: the presence key `track` uses. Default: a random id per channel. */
    presence?: { key?: string };
  };
}

/** Unsubscribes a listener added with `onSystem` or `onError`. */
export interface RealtimeListener {
  unsubscribe(): void;
}

// Listener properties are compared bivariantly (as methods are), so both the DOM
// WebSocket and the `ws` package's class fit without casts.
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of a WebSocket the SDK uses: the DOM `WebSocket`, `ws`'s, or another implementation. */
export interface RealtimeWebSocket {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type RealtimeWebSocketConstructor = new (url: string) => RealtimeWebSocket;

/** Timer functions (injected by tests). */
export interface RealtimeTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RealtimeReconnectOptions {
  /** Delay before the first reconnect attempt, in ms. Default: 1000. */
  initialDelayMs?: number;
  /** The delay doubles per failed attempt up to this, in ms. Default: 30000. */
  maxDelayMs?: number;
  /** Each delay is randomised by ± this fraction (0–1). Default: 0.2. */
  jitter?: number;
  /** Give up after this many consecutive failed attempts. Default: Infinity. */
  maxAttempts?: number;
}

export interface RealtimeClientOptions {
  /**
   * WebSocket constructor, e.g. the `ws` package's on Node 20 (Node 22+, browsers, Deno
   * and Bun have a global one). Default: `globalThis.WebSocket`.
   */
  WebSocket?: RealtimeWebSocketConstructor;
  /** Milliseconds between `{type: "heartbeat"}` frames; 0 disables them. Default: 30000. */
  heartbeatIntervalMs?: number;
  /**
   * Once the server has sent a heartbeat, a connection on which nothing arrives for this
   * many ms is treated as dead and replaced; 0 disables the check. Default: 90000.
   */
  idleTimeoutMs?: number;
  /** Milliseconds to wait for the socket to open, for subscribe acks (then TIMED_OUT) and for broadcast acks. Default: 10000. */
  timeoutMs?: number;
  /** Backoff between reconnect attempts. Default: 1 s doubling to 30 s, ± 20 %, unlimited attempts. */
  reconnect?: RealtimeReconnectOptions;
  /** Default: the global setTimeout / clearTimeout. */
  timers?: RealtimeTimers;
  /** Random numbers in [0, 1) for the jitter. Default: Math.random. */
  random?: () => number;
}
