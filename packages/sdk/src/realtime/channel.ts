// One realtime channel: its listeners, its subscribe round (one ack per subscribe frame,
// then SUBSCRIBED), broadcast, presence and unsubscribe. It never touches the socket: the
// shared connection (RealtimeClient, through ChannelHost) sends frames and routes the
// server's frames here.
import type { FluxbaseError } from '../errors.ts';
import {
  broadcastFrame, presenceFrame, subscribeChannelFrame, subscribeTableFrame, unsubscribeFrame,
  type ClientFrame, type PresenceMessage,
} from './frames.ts';
import { applyPresence } from './presence.ts';
import type {
  RealtimeBroadcastPayload, RealtimeChannelOptions, RealtimeChannelStatus, RealtimePostgresChangesEvent,
  RealtimePostgresChangesFilter, RealtimePostgresChangesPayload, RealtimePostgresDeletePayload, RealtimePostgresInsertPayload,
  RealtimePostgresUpdatePayload, RealtimePresenceJoinPayload, RealtimePresenceLeavePayload, RealtimePresenceState,
  RealtimeSendResult, RealtimeStatusCallback, RealtimeSystemPayload, RealtimeTimers,
} from './types.ts';

/** A subscribe frame waiting for its ack: one per postgres_changes listener, plus the channel join. */
export interface SubscribeRequest {
  kind: 'subscribe';
  messageId: string;
  channel: RealtimeChannel;
  /** null: the bare subscribe that joins the channel for broadcast and presence. */
  binding: PostgresBinding | null;
  round: number;
}

/** What a channel needs from the shared connection. */
export interface ChannelHost {
  readonly timeoutMs: number;
  readonly timers: RealtimeTimers;
  isOpen(): boolean;
  /** Whether this channel object is the one registered under its name. */
  has(channel: RealtimeChannel): boolean;
  /** Register again after unsubscribe; false when another channel took the name. */
  attach(channel: RealtimeChannel): boolean;
  /** Remove the channel; the socket closes when it was the last one. */
  detach(channel: RealtimeChannel): void;
  /** Open the socket if it is not open or opening. */
  ensureConnected(): void;
  /** Resolves true once the socket is open (opening it if needed), false after `timeoutMs`. */
  whenOpen(timeoutMs: number): Promise<boolean>;
  /** Send on the open socket; false when it is not open. */
  sendFrame(frame: ClientFrame): boolean;
  nextMessageId(): string;
  /** Remember a subscribe request until its ack or error arrives (or the socket closes). */
  expectSubscribe(request: SubscribeRequest): void;
  /** Forget this channel's unanswered subscribe requests (a new round replaces them). */
  forgetSubscribes(channel: RealtimeChannel): void;
  /** Send a frame and resolve with its ack ('ok'), error frame ('error') or nothing in time ('timed out'). */
  request(kind: 'broadcast' | 'unsubscribe', channel: string, frame: ClientFrame, messageId: string, timeoutMs: number): Promise<RealtimeSendResult>;
}

export type RealtimeChannelState = 'closed' | 'joining' | 'joined' | 'errored';

interface PostgresBinding {
  type: 'postgres_changes';
  filter: RealtimePostgresChangesFilter;
  callback: (payload: RealtimePostgresChangesPayload) => void;
  /** The server's subscription id, from the ack of the current round. */
  id?: string;
}
interface BroadcastBinding { type: 'broadcast'; event: string; callback: (payload: RealtimeBroadcastPayload<unknown>) => void }
interface PresenceBinding { type: 'presence'; event: 'sync' | 'join' | 'leave'; callback: (payload?: unknown) => void }
interface SystemBinding { type: 'system'; event?: string; callback: (payload: RealtimeSystemPayload) => void }
type Binding = PostgresBinding | BroadcastBinding | PresenceBinding | SystemBinding;

const CHANGE_EVENTS: readonly string[] = ['INSERT', 'UPDATE', 'DELETE', '*'];

export class RealtimeChannel {
  /** The channel name sent to the server. */
  readonly name: string;
  /** The key `track` uses: `config.presence.key`, or a random id. */
  readonly presenceKey: string;
  private readonly host: ChannelHost;
  private readonly self: boolean;
  private readonly ack: boolean;
  private readonly bindings: Binding[] = [];
  private readonly statusCallbacks: RealtimeStatusCallback[] = [];
  private current: RealtimeChannelState = 'closed';
  private lastStatus: RealtimeChannelStatus | undefined;
  private presence: RealtimePresenceState<unknown> = {};
  private tracked: { state: Record<string, unknown> } | undefined;
  // A round is one sending of the subscribe frames; acks of an older round are ignored.
  private round = 0;
  private outstanding = 0;
  private roundFailed = false;
  private roundTimer: unknown;
  /** Set when the server ended the DB subscriptions for an expired token; a new token resubscribes. */
  tokenExpired = false;

  /** @internal Built by `client.channel(name)`. */
  constructor(host: ChannelHost, name: string, options: RealtimeChannelOptions = {}) {
    if (typeof name !== 'string' || name === '') throw new TypeError('channel: a name is required');
    this.host = host;
    this.name = name;
    this.self = options.config?.broadcast?.self ?? false;
    this.ack = options.config?.broadcast?.ack ?? false;
    this.presenceKey = options.config?.presence?.key ?? randomKey();
  }

  /** closed → joining → joined; errored after a refused subscribe or a lost connection (until rejoined). */
  get state(): RealtimeChannelState {
    return this.current;
  }

  /** Row changes of a table (`event` '*' for all), optionally filtered: `{ event: 'UPDATE', table: 'posts', filter: 'id=eq.1' }`. */
  on<Row extends object = Record<string, unknown>>(type: 'postgres_changes', filter: RealtimePostgresChangesFilter<'*'>, callback: (payload: RealtimePostgresChangesPayload<Row>) => void): this;
  on<Row extends object = Record<string, unknown>>(type: 'postgres_changes', filter: RealtimePostgresChangesFilter<'INSERT'>, callback: (payload: RealtimePostgresInsertPayload<Row>) => void): this;
  on<Row extends object = Record<string, unknown>>(type: 'postgres_changes', filter: RealtimePostgresChangesFilter<'UPDATE'>, callback: (payload: RealtimePostgresUpdatePayload<Row>) => void): this;
  on<Row extends object = Record<string, unknown>>(type: 'postgres_changes', filter: RealtimePostgresChangesFilter<'DELETE'>, callback: (payload: RealtimePostgresDeletePayload<Row>) => void): this;
  on<Row extends object = Record<string, unknown>>(type: 'postgres_changes', filter: RealtimePostgresChangesFilter, callback: (payload: RealtimePostgresChangesPayload<Row>) => void): this;
  /** Broadcast messages of one event name ('*' for all). */
  on<T = Record<string, unknown>>(type: 'broadcast', filter: { event: string }, callback: (payload: RealtimeBroadcastPayload<T>) => void): this;
  /** After every presence change; read `presenceState()`. */
  on(type: 'presence', filter: { event: 'sync' }, callback: () => void): this;
  on<T = Record<string, unknown>>(type: 'presence', filter: { event: 'join' }, callback: (payload: RealtimePresenceJoinPayload<T>) => void): this;
  on<T = Record<string, unknown>>(type: 'presence', filter: { event: 'leave' }, callback: (payload: RealtimePresenceLeavePayload<T>) => void): this;
  /** Server notices (`listener_reconnected`, `shutdown`); `event` narrows them. */
  on(type: 'system', filter: { event?: string }, callback: (payload: RealtimeSystemPayload) => void): this;
  on(type: 'postgres_changes' | 'broadcast' | 'presence' | 'system', filter: { event?: string; schema?: string; table?: string; filter?: string }, callback: (payload: never) => void): this {
    if (typeof callback !== 'function') throw new TypeError('channel.on: a callback is required');
    const cb = callback as (payload?: unknown) => void;
    const event = filter?.event;
    switch (type) {
      case 'postgres_changes': {
        if (typeof event !== 'string' || !CHANGE_EVENTS.includes(event)) throw new TypeError("channel.on('postgres_changes'): event must be INSERT, UPDATE, DELETE or *");
        if (typeof filter.table !== 'string' || filter.table === '') throw new TypeError("channel.on('postgres_changes'): a table is required");
        // Its subscribe frame goes out with subscribe(); a later listener would never be subscribed.
        if (this.current !== 'closed') throw new Error("channel.on('postgres_changes') must be called before subscribe()");
        const f: RealtimePostgresChangesFilter = { event: event as RealtimePostgresChangesEvent, table: filter.table };
        if (filter.schema !== undefined) f.schema = filter.schema;
        if (filter.filter !== undefined) f.filter = filter.filter;
        this.bindings.push({ type, filter: f, callback: cb });
        break;
      }
      case 'broadcast':
        if (typeof event !== 'string' || event === '') throw new TypeError("channel.on('broadcast'): an event name is required");
        this.requireJoin(type);
        this.bindings.push({ type, event, callback: cb });
        break;
      case 'presence':
        if (event !== 'sync' && event !== 'join' && event !== 'leave') throw new TypeError("channel.on('presence'): event must be sync, join or leave");
        this.requireJoin(type);
        this.bindings.push({ type, event, callback: cb });
        break;
      case 'system':
        this.bindings.push(event === undefined ? { type, callback: cb } : { type, event, callback: cb });
        break;
      default:
        throw new TypeError(`channel.on: unknown listener type ${String(type)}`);
    }
    return this;
  }

  /**
   * Subscribe every listener and join the channel. `callback` hears SUBSCRIBED once all
   * subscriptions are acknowledged (again after each reconnect), CHANNEL_ERROR with the
   * error (a refused subscription, a lost connection), TIMED_OUT and CLOSED.
   */
  subscribe(callback?: RealtimeStatusCallback): this {
    if (callback !== undefined) {
      this.statusCallbacks.push(callback);
      if (this.current === 'joined') safeCall(() => callback('SUBSCRIBED'));
    }
    if (this.current === 'errored' && this.host.isOpen()) this.join(); // a retry after a refused subscription
    if (this.current !== 'closed') return this;
    if (!this.host.has(this) && !this.host.attach(this)) {
      throw new Error(`channel ${this.name}: another channel of this name was created after this one was unsubscribed`);
    }
    this.current = 'joining';
    this.lastStatus = undefined;
    if (this.host.isOpen()) this.join();
    else this.host.ensureConnected();
    return this;
  }

  /** Send a broadcast to the channel's members. With `config.broadcast.ack` it waits for the server's ack. */
  async send(message: { type: 'broadcast'; event: string; payload?: unknown }, options: { timeoutMs?: number } = {}): Promise<RealtimeSendResult> {
    if (message?.type !== 'broadcast' || typeof message.event !== 'string' || message.event === '' || !this.host.has(this)) return 'error';
    const timeoutMs = options.timeoutMs ?? this.host.timeoutMs;
    if (!(await this.host.whenOpen(timeoutMs))) return 'timed out';
    if (!this.ack) return this.host.sendFrame(broadcastFrame(this.name, message.event, message.payload ?? {})) ? 'ok' : 'error';
    const messageId = this.host.nextMessageId();
    return this.host.request('broadcast', this.name, broadcastFrame(this.name, message.event, message.payload ?? {}, messageId), messageId, timeoutMs);
  }

  /** Publish this client's presence state under `presenceKey`; it is tracked again after a reconnect. */
  async track(state: Record<string, unknown>, options: { timeoutMs?: number } = {}): Promise<RealtimeSendResult> {
    if (!this.host.has(this)) return 'error';
    this.tracked = { state };
    if (this.host.sendFrame(presenceFrame(this.name, 'track', this.presenceKey, state))) return 'ok';
    // Not open yet: the track frame goes out with the channel's frames when it opens.
    return (await this.host.whenOpen(options.timeoutMs ?? this.host.timeoutMs)) ? 'ok' : 'timed out';
  }

  /** Withdraw this client's presence. */
  async untrack(): Promise<RealtimeSendResult> {
    const was = this.tracked;
    this.tracked = undefined;
    if (was === undefined || !this.host.isOpen()) return 'ok';
    return this.host.sendFrame(presenceFrame(this.name, 'untrack', this.presenceKey)) ? 'ok' : 'error';
  }

  /** Presence key → the states tracked under it, as last reported by the server. */
  presenceState<T = Record<string, unknown>>(): RealtimePresenceState<T> {
    const out: RealtimePresenceState<T> = {};
    for (const [k, v] of Object.entries(this.presence)) out[k] = [...v] as T[];
    return out;
  }

  /**
   * Leave: unsubscribe on the server, drop the channel from the client (closing the socket
   * when it was the last) and report CLOSED. Resolves when the server acknowledged.
   */
  async unsubscribe(options: { timeoutMs?: number } = {}): Promise<RealtimeSendResult> {
    if (!this.host.has(this)) return 'ok';
    const wasSubscribed = this.current !== 'closed';
    const ids = this.postgresBindings().map((b) => b.id).filter((id): id is string => id !== undefined);
    const tracked = this.tracked !== undefined;
    this.reset();
    this.current = 'closed';
    this.tracked = undefined;
    this.presence = {};
    const open = this.host.isOpen();
    this.host.detach(this);
    if (wasSubscribed) this.emit('CLOSED');
    // Closed socket (or the last channel, whose socket closes now): the server forgets it all.
    if (!open || !this.host.isOpen()) return 'ok';
    if (tracked) this.host.sendFrame(presenceFrame(this.name, 'untrack', this.presenceKey));
    for (const id of ids) this.host.sendFrame(unsubscribeFrame(this.name, id));
    const messageId = this.host.nextMessageId();
    return this.host.request('unsubscribe', this.name, unsubscribeFrame(this.name, undefined, messageId), messageId, options.timeoutMs ?? this.host.timeoutMs);
  }

  // ---- called by the connection ----------------------------------------------------------

  /** @internal The socket is open (or the token was renewed): send this channel's subscribe frames. */
  join(): void {
    if (this.current === 'closed') return;
    this.reset();
    this.host.forgetSubscribes(this);
    const round = this.round;
    const frames: ClientFrame[] = [];
    for (const binding of this.postgresBindings()) {
      const messageId = this.host.nextMessageId();
      this.host.expectSubscribe({ kind: 'subscribe', messageId, channel: this, binding, round });
      frames.push(subscribeTableFrame(this.name, binding.filter, messageId));
    }
    if (this.needsJoin()) {
      const messageId = this.host.nextMessageId();
      this.host.expectSubscribe({ kind: 'subscribe', messageId, channel: this, binding: null, round });
      frames.push(subscribeChannelFrame(this.name, { self: this.self, ack: this.ack, key: this.presenceKey }, messageId));
    }
    this.outstanding = frames.length;
    this.current = 'joining';
    for (const frame of frames) this.host.sendFrame(frame);
    this.roundTimer = this.host.timers.setTimeout(() => {
      this.roundTimer = undefined;
      if (round === this.round && this.outstanding > 0 && !this.roundFailed) this.emit('TIMED_OUT');
    }, this.host.timeoutMs);
  }

  /** @internal Send the tracked presence again (after a reconnect). */
  retrack(): void {
    if (this.tracked !== undefined) this.host.sendFrame(presenceFrame(this.name, 'track', this.presenceKey, this.tracked.state));
  }

  /** @internal One subscribe frame was acknowledged. */
  subscribeAcked(request: SubscribeRequest, payload: Record<string, unknown>): void {
    if (request.round !== this.round || this.current === 'closed') return;
    if (request.binding !== null && typeof payload.subscription_id === 'string') request.binding.id = payload.subscription_id;
    this.outstanding--;
    if (this.outstanding > 0 || this.roundFailed) return;
    this.clearRoundTimer();
    this.current = 'joined';
    this.emit('SUBSCRIBED');
  }

  /** @internal One subscribe frame was refused; the subscriptions that were accepted keep delivering. */
  subscribeFailed(request: SubscribeRequest, error: FluxbaseError): void {
    if (request.round !== this.round || this.current === 'closed') return;
    this.outstanding--;
    this.fail(error);
  }

  /** @internal Report an error for the whole channel (expired token that could not be renewed). */
  fail(error: FluxbaseError): void {
    if (this.current === 'closed') return;
    this.roundFailed = true;
    this.clearRoundTimer();
    this.current = 'errored';
    this.emit('CHANNEL_ERROR', error);
  }

  /** @internal The socket closed: subscriptions are gone until the next join. Reported once per outage. */
  disconnected(error: FluxbaseError): void {
    this.reset();
    // Who is present is unknown until the server tells again (a sync when the channel is rejoined).
    if (Object.keys(this.presence).length > 0) {
      this.presence = {};
      for (const b of this.bindings) if (b.type === 'presence' && b.event === 'sync') safeCall(() => b.callback());
    }
    if (this.current === 'closed') return;
    this.current = 'joining';
    if (this.lastStatus !== 'CHANNEL_ERROR') this.emit('CHANNEL_ERROR', error);
  }

  /** @internal Whether the channel has DB subscriptions (an expired token ends them). */
  hasPostgresChanges(): boolean {
    return this.current !== 'closed' && this.postgresBindings().length > 0;
  }

  /** @internal A change event; `ids` are the connection's subscriptions it matched. */
  deliverChange(ids: ReadonlySet<string>, payload: RealtimePostgresChangesPayload): void {
    for (const b of this.postgresBindings()) {
      if (b.id === undefined || !ids.has(b.id)) continue;
      if (b.filter.event !== '*' && b.filter.event !== payload.eventType) continue;
      safeCall(() => b.callback(payload));
    }
  }

  /** @internal */
  deliverBroadcast(event: string, payload: unknown): void {
    for (const b of this.bindings) {
      if (b.type === 'broadcast' && (b.event === event || b.event === '*')) safeCall(() => b.callback({ type: 'broadcast', event, payload }));
    }
  }

  /** @internal */
  deliverPresence(message: PresenceMessage): void {
    const update = applyPresence(this.presence, message);
    this.presence = update.state;
    for (const b of this.bindings) {
      if (b.type !== 'presence') continue;
      if (b.event === 'join' && update.join !== undefined) safeCall(() => b.callback({ event: 'join', ...update.join }));
      if (b.event === 'leave' && update.leave !== undefined) safeCall(() => b.callback({ event: 'leave', ...update.leave }));
    }
    for (const b of this.bindings) if (b.type === 'presence' && b.event === 'sync') safeCall(() => b.callback());
  }

  /** @internal */
  deliverSystem(payload: RealtimeSystemPayload): void {
    for (const b of this.bindings) {
      if (b.type === 'system' && (b.event === undefined || b.event === payload.event)) safeCall(() => b.callback(payload));
    }
  }

  // ---- internals ---------------------------------------------------------------------------

  private postgresBindings(): PostgresBinding[] {
    return this.bindings.filter((b): b is PostgresBinding => b.type === 'postgres_changes');
  }

  /** The bare subscribe goes out for broadcast or presence listeners, or when there is nothing else to subscribe. */
  private needsJoin(): boolean {
    return this.bindings.every((b) => b.type !== 'postgres_changes') || this.bindings.some((b) => b.type === 'broadcast' || b.type === 'presence');
  }

  /** A broadcast/presence listener added after subscribe() works only if the channel was joined. */
  private requireJoin(type: string): void {
    if (this.current !== 'closed' && !this.needsJoin()) {
      throw new Error(`channel.on('${type}') must be called before subscribe() on a channel that only has postgres_changes listeners`);
    }
  }

  /** Start a new round: older acks are ignored, subscription ids forgotten. */
  private reset(): void {
    this.round++;
    this.outstanding = 0;
    this.roundFailed = false;
    this.clearRoundTimer();
    for (const b of this.postgresBindings()) delete b.id;
  }

  private clearRoundTimer(): void {
    if (this.roundTimer !== undefined) this.host.timers.clearTimeout(this.roundTimer);
    this.roundTimer = undefined;
  }

  private emit(status: RealtimeChannelStatus, error?: FluxbaseError): void {
    this.lastStatus = status;
    for (const cb of [...this.statusCallbacks]) safeCall(() => (error === undefined ? cb(status) : cb(status, error)));
  }
}

/** One faulty listener must not stop the others or the connection. */
export function safeCall(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    console.error('@fluxbase/sdk: a realtime listener threw', error);
  }
}

function randomKey(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}
