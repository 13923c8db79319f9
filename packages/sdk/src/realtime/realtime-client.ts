// `client.realtime`: the one WebSocket a client shares between its channels
// (docs/realtime.md "Connecting" and "Protocol"). It connects on the first subscribe and
// disconnects when the last channel goes; after every (re)connect each channel subscribes
// and tracks its presence again. It matches acks and errors to the requests they answer,
// routes the server's frames to the channels and keeps the connection's token (setAuth, or
// the auth session the client follows).
import type { FluxbaseError } from '../errors.ts';
import { backoffSettings } from './backoff.ts';
import { RealtimeChannel, safeCall, type ChannelHost } from './channel.ts';
import { RealtimeConnection, type RealtimeConnectionState } from './connection.ts';
import { accessTokenFrame, toChangePayload, type AckFrame, type ClientFrame, type ErrorFrame, type ServerFrame } from './frames.ts';
import { PendingRequests, type AnsweredRequest } from './requests.ts';
import type {
  RealtimeChannelOptions, RealtimeClientOptions, RealtimeListener, RealtimeSendResult, RealtimeSystemPayload, RealtimeTimers,
} from './types.ts';

export type { RealtimeConnectionState } from './connection.ts';

export interface RealtimeClientSettings {
  /** The client's base URL (http or https, maybe with a path prefix). */
  url: string;
  /** Sent as `?apikey=`. */
  apiKey: string;
  options?: RealtimeClientOptions;
  /**
   * The token to use before connecting (`connect`) or after the server ended subscriptions
   * for an expired token (`expired`): a refreshed one when the client manages the session,
   * else `current` unchanged.
   */
  refreshToken?: (current: string | null, reason: 'connect' | 'expired') => Promise<string | null>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_HEARTBEAT_MS = 30_000;
const DEFAULT_IDLE_MS = 90_000;

const defaultTimers: RealtimeTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class RealtimeClient {
  private readonly url: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly timers: RealtimeTimers;
  private readonly refreshToken: RealtimeClientSettings['refreshToken'];
  private readonly connection: RealtimeConnection;
  private readonly host: ChannelHost;
  private readonly channels = new Map<string, RealtimeChannel>();
  private readonly pending = new PendingRequests();
  private readonly systemListeners = new Set<(payload: RealtimeSystemPayload) => void>();
  private readonly errorListeners = new Set<(error: FluxbaseError) => void>();
  private token: string | null = null;
  /** The token the socket authenticated with (its URL, or the last access_token frame). */
  private socketToken: string | null = null;
  private refreshing = false;
  private messageSeq = 0;
  private readonly messagePrefix = Math.random().toString(36).slice(2, 8);

  /** @internal Built by createClient (`client.realtime`). */
  constructor(settings: RealtimeClientSettings) {
    const o = settings.options ?? {};
    this.url = settings.url;
    this.apiKey = settings.apiKey;
    this.refreshToken = settings.refreshToken;
    this.timeoutMs = nonNegative('timeoutMs', o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const timers = o.timers ?? defaultTimers;
    this.timers = timers;
    this.connection = new RealtimeConnection({
      WebSocket: o.WebSocket,
      heartbeatMs: nonNegative('heartbeatIntervalMs', o.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS),
      idleMs: nonNegative('idleTimeoutMs', o.idleTimeoutMs ?? DEFAULT_IDLE_MS),
      timeoutMs: this.timeoutMs,
      backoff: backoffSettings(o.reconnect),
      random: o.random ?? Math.random,
      timers,
    }, {
      url: () => this.connectUrl(),
      wanted: () => this.channels.size > 0,
      opened: () => this.opened(),
      frame: (frame) => this.route(frame),
      closed: (error) => {
        this.pending.failAll();
        for (const channel of this.channels.values()) channel.disconnected(error);
      },
      gaveUp: (error) => this.emitError(error),
    });
    this.host = this.channelHost(timers);
  }

  /** The channel of this name: the existing one (its options unchanged) or a new one. Nothing is sent until `subscribe()`. */
  channel(name: string, options: RealtimeChannelOptions = {}): RealtimeChannel {
    const existing = this.channels.get(name);
    if (existing !== undefined) return existing;
    const channel = new RealtimeChannel(this.host, name, options);
    this.channels.set(name, channel);
    return channel;
  }

  getChannels(): RealtimeChannel[] {
    return [...this.channels.values()];
  }

  /** Unsubscribe and remove one channel; the socket closes with the last one. */
  removeChannel(channel: RealtimeChannel): Promise<RealtimeSendResult> {
    return channel.unsubscribe();
  }

  removeAllChannels(): Promise<RealtimeSendResult[]> {
    return Promise.all(this.getChannels().map((c) => c.unsubscribe()));
  }

  /**
   * The access token of the connection: sent at once on an open socket (`access_token`;
   * `null` goes back to the API key's role) and used for every reconnect. The client calls
   * this by itself on sign-in, refresh and sign-out.
   */
  setAuth(token: string | null): void {
    const next = token === '' ? null : token;
    if (next === this.token) return;
    this.token = next;
    if (this.connection.state !== 'open') return;
    this.socketToken = next;
    if (!this.getChannels().some((c) => c.tokenExpired)) {
      this.connection.send(accessTokenFrame(next ?? this.apiKey));
      return;
    }
    // Subscriptions ended by an expired token come back once the server took the new one
    // (it may handle a subscribe sent right after access_token before the token).
    const messageId = this.nextMessageId();
    void this.request('access_token', '', accessTokenFrame(next ?? this.apiKey, messageId), messageId).then(({ error }) => {
      if (this.connection.state !== 'open') return; // the next socket opens with this token and rejoins everything
      if (error !== undefined) this.emitError(error);
      for (const channel of this.channels.values()) {
        if (!channel.tokenExpired) continue;
        if (error !== undefined) {
          channel.fail(error);
        } else {
          channel.tokenExpired = false;
          channel.join();
        }
      }
    });
  }

  /** System frames: `listener_reconnected` (changes may have been missed), `shutdown` (the server drains). */
  onSystem(callback: (payload: RealtimeSystemPayload) => void): RealtimeListener {
    this.systemListeners.add(callback);
    return { unsubscribe: () => { this.systemListeners.delete(callback); } };
  }

  /** Error frames that answer no request of a channel (invalid token, limits, presence errors), and giving up reconnecting. */
  onError(callback: (error: FluxbaseError) => void): RealtimeListener {
    this.errorListeners.add(callback);
    return { unsubscribe: () => { this.errorListeners.delete(callback); } };
  }

  /** closed, connecting or open. */
  connectionState(): RealtimeConnectionState {
    return this.connection.state;
  }

  // ---- connection events -------------------------------------------------------------------

  private async connectUrl(): Promise<string> {
    const before = this.token;
    if (this.refreshToken !== undefined) {
      let refreshed = before;
      try {
        refreshed = await this.refreshToken(before, 'connect');
      } catch {
        // Keep the token we have; the server says whether it still works.
      }
      // A setAuth while we waited wins.
      if (this.token === before) this.token = refreshed;
    }
    this.socketToken = this.token;
    return realtimeUrl(this.url, this.apiKey, this.token);
  }

  private opened(): void {
    // The token changed while the socket was opening.
    if (this.token !== this.socketToken) {
      this.connection.send(accessTokenFrame(this.token ?? this.apiKey));
      this.socketToken = this.token;
    }
    for (const channel of this.channels.values()) {
      channel.tokenExpired = false;
      channel.join();
      channel.retrack();
    }
  }

  private route(frame: ServerFrame): void {
    switch (frame.type) {
      case 'heartbeat':
        this.connection.healthy(); // a connection that lived long enough for a heartbeat was a success
        return;
      case 'ack':
        this.connection.healthy();
        return this.acked(frame);
      case 'error':
        return this.errored(frame);
      case 'postgres_changes': {
        const payload = toChangePayload(frame.payload);
        if (payload === null) return;
        const ids = new Set(frame.subscriptionIds);
        for (const channel of this.channels.values()) channel.deliverChange(ids, payload);
        return;
      }
      case 'broadcast':
        return this.channels.get(frame.channel)?.deliverBroadcast(frame.event, frame.payload);
      case 'presence':
        return this.channels.get(frame.channel)?.deliverPresence(frame.presence);
      case 'system':
        for (const listener of [...this.systemListeners]) safeCall(() => listener(frame.payload));
        for (const channel of this.channels.values()) channel.deliverSystem(frame.payload);
        return;
      case 'other':
        return;
    }
  }

  private acked(frame: AckFrame): void {
    const request = this.pending.takeAck(frame);
    if (request === undefined) return;
    if (request.kind === 'subscribe') request.channel.subscribeAcked(request, frame.payload);
    else request.resolve(request.kind === 'unsubscribe' || frame.status === undefined || frame.status === 'ok' ? 'ok' : 'error');
  }

  private errored(frame: ErrorFrame): void {
    const { error } = frame;
    const request = this.pending.takeError(frame);
    if (request?.kind === 'access_token') {
      request.resolve('error', error);
      return;
    }
    // A revoked session (sign-out elsewhere, a ban) ends every channel of the connection on the
    // server, an expired token only its row-change subscriptions (docs/realtime.md "Who receives a change").
    const revoked = error.code === 'TOKEN_REVOKED' && request === undefined;
    if (error.code === 'EXPIRED_TOKEN' || revoked) {
      if (request?.kind === 'subscribe') request.channel.tokenExpired = true;
      else request?.resolve('error', error);
      void this.tokenExpired(error, revoked);
      return;
    }
    if (request !== undefined) {
      if (request.kind === 'subscribe') request.channel.subscribeFailed(request, error);
      else request.resolve('error', error);
      return;
    }
    // Limits are followed by a close; the channels hear this error rather than a bare close code.
    if (error.code === 'MAX_CONNECTIONS_REACHED') this.connection.explainClose(error);
    this.emitError(error);
  }

  /** The server ended the DB subscriptions: renew the token if the client can, then resubscribe. */
  private async tokenExpired(error: FluxbaseError, everyChannel = false): Promise<void> {
    for (const channel of this.channels.values()) if (everyChannel || channel.hasPostgresChanges()) channel.tokenExpired = true;
    if (this.refreshing) return;
    this.refreshing = true;
    const before = this.token;
    let next = before;
    try {
      if (this.refreshToken !== undefined) next = await this.refreshToken(before, 'expired');
    } catch {
      next = before;
    } finally {
      this.refreshing = false;
    }
    // The client may already have called setAuth with the new token (and resubscribed).
    if (this.token === before && next !== before) this.setAuth(next);
    if (this.token !== before) return;
    for (const channel of this.channels.values()) if (channel.tokenExpired) channel.fail(error);
    this.emitError(error);
  }

  private emitError(error: FluxbaseError): void {
    for (const listener of [...this.errorListeners]) safeCall(() => listener(error));
  }

  /** What the channels see of this client. */
  private channelHost(timers: RealtimeTimers): ChannelHost {
    return {
      timeoutMs: this.timeoutMs,
      timers,
      isOpen: () => this.connection.state === 'open',
      has: (channel) => this.channels.get(channel.name) === channel,
      attach: (channel) => {
        if (this.channels.has(channel.name)) return false;
        this.channels.set(channel.name, channel);
        return true;
      },
      detach: (channel) => {
        if (this.channels.get(channel.name) !== channel) return;
        this.channels.delete(channel.name);
        this.pending.dropChannel(channel);
        if (this.channels.size > 0) return;
        this.pending.failAll();
        this.connection.shutdown();
      },
      ensureConnected: () => this.connection.ensureConnected(),
      whenOpen: (timeoutMs) => this.connection.whenOpen(timeoutMs),
      sendFrame: (frame) => this.connection.send(frame),
      nextMessageId: () => this.nextMessageId(),
      expectSubscribe: (request) => { this.pending.add(request); },
      forgetSubscribes: (channel) => { this.pending.dropChannel(channel); },
      request: async (kind, channel, frame, messageId, timeoutMs) => (await this.request(kind, channel, frame, messageId, timeoutMs)).result,
    };
  }

  private nextMessageId(): string {
    return `${this.messagePrefix}-${++this.messageSeq}`;
  }

  /** Send a frame and wait for the ack or error frame answering it. */
  private request(kind: AnsweredRequest['kind'], channel: string, frame: ClientFrame, messageId: string, timeoutMs = this.timeoutMs): Promise<{ result: RealtimeSendResult; error?: FluxbaseError }> {
    return new Promise((resolve) => {
      const timer = this.timers.setTimeout(() => {
        this.pending.delete(messageId);
        resolve({ result: 'timed out' });
      }, timeoutMs);
      const settle = (result: RealtimeSendResult, error?: FluxbaseError) => {
        this.timers.clearTimeout(timer);
        resolve(error === undefined ? { result } : { result, error });
      };
      this.pending.add({ kind, messageId, channel, resolve: settle });
      if (!this.connection.send(frame)) {
        this.pending.delete(messageId);
        settle('error');
      }
    });
  }
}

/**
 * `ws(s)://host[/prefix]/realtime?apikey=…[&token=…]` (docs/realtime.md "Connecting"; the
 * credentials: docs/getting-started.md "Keys").
 */
export function realtimeUrl(baseUrl: string, apiKey: string, token: string | null): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/realtime`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('apikey', apiKey);
  if (token !== null && token !== apiKey) url.searchParams.set('token', token);
  return url.toString();
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`realtime.${name} must be a non-negative number`);
  return value;
}
