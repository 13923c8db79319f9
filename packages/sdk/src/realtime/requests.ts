// Requests waiting for the server's answer, and which request an ack or error frame
// answers: by messageId when the server echoes it, otherwise by what the frame describes
// (docs/realtime.md "Protocol": a subscribe ack names the channel and the table
// subscription, an unsubscribe ack the channel, an error frame the channel).
import type { FluxbaseError } from '../errors.ts';
import type { SubscribeRequest } from './channel.ts';
import type { AckFrame, ErrorFrame } from './frames.ts';
import type { RealtimeSendResult } from './types.ts';

export interface AnsweredRequest {
  kind: 'broadcast' | 'unsubscribe' | 'access_token';
  messageId: string;
  /** '' for access_token. */
  channel: string;
  /** `error` is the refusal when the server sent one. */
  resolve: (result: RealtimeSendResult, error?: FluxbaseError) => void;
}

export type PendingRequest = SubscribeRequest | AnsweredRequest;

/** Errors that answer a subscribe frame, for servers that echo neither messageId nor channel. */
const SUBSCRIBE_ERRORS: ReadonlySet<string> = new Set(['TABLE_NOT_ENABLED', 'INVALID_FILTER', 'TOO_MANY_SUBSCRIPTIONS']);
/** Errors that refuse an access_token frame (answered without messageId or channel). */
const TOKEN_ERRORS: ReadonlySet<string> = new Set(['INVALID_TOKEN', 'EXPIRED_TOKEN', 'TOKEN_REVOKED', 'INSUFFICIENT_PERMISSIONS', 'INVALID_API_KEY']);

export class PendingRequests {
  /** In sending order: the fallback matching takes the oldest. */
  private readonly byId = new Map<string, PendingRequest>();

  add(request: PendingRequest): void {
    this.byId.set(request.messageId, request);
  }

  delete(messageId: string): void {
    this.byId.delete(messageId);
  }

  /** The request `frame` acknowledges, removed from the list. */
  takeAck(frame: AckFrame): PendingRequest | undefined {
    if (frame.messageId !== undefined) return this.take(frame.messageId);
    const p = frame.payload;
    const inChannel = (name: string) => frame.channel === undefined || name === frame.channel;
    let found: PendingRequest | undefined;
    if (p.subscribed === true) {
      const table = typeof p.subscription_id === 'string';
      const candidates = [...this.byId.values()].filter((r): r is SubscribeRequest => r.kind === 'subscribe' && (r.binding !== null) === table && inChannel(r.channel.name));
      found = candidates.find((r) => sameSubscription(r, p)) ?? candidates[0];
    } else if (p.unsubscribed === true && p.subscription_id === undefined) {
      found = [...this.byId.values()].find((r) => r.kind === 'unsubscribe' && inChannel(r.channel));
    } else if (p.type === 'access_token') {
      found = [...this.byId.values()].find((r) => r.kind === 'access_token');
    }
    if (found !== undefined) this.byId.delete(found.messageId);
    return found;
  }

  /** The request an error frame refuses, removed from the list; undefined for errors about the connection. */
  takeError(frame: ErrorFrame): PendingRequest | undefined {
    if (frame.messageId !== undefined) return this.take(frame.messageId);
    const { code } = frame.error;
    const all = [...this.byId.values()];
    // An EXPIRED_TOKEN that lists subscriptions is the notice that they ended, not an answer.
    const tokenRefusal = frame.channel === undefined && frame.subscriptionIds === undefined && TOKEN_ERRORS.has(code);
    const found = (tokenRefusal ? all.find((r) => r.kind === 'access_token') : undefined)
      ?? all.find((r): r is SubscribeRequest => r.kind === 'subscribe'
        && (frame.channel !== undefined ? r.channel.name === frame.channel : SUBSCRIBE_ERRORS.has(code)));
    if (found !== undefined) this.byId.delete(found.messageId);
    return found;
  }

  /** Forget the subscribes of a removed channel. */
  dropChannel(channel: SubscribeRequest['channel']): void {
    for (const [id, r] of this.byId) if (r.kind === 'subscribe' && r.channel === channel) this.byId.delete(id);
  }

  /**
   * The socket closed and took the server's state with it: an unsubscribe has nothing left
   * to do, a broadcast failed, an access_token is moot (the next socket opens with the token).
   */
  failAll(): void {
    const all = [...this.byId.values()];
    this.byId.clear();
    for (const r of all) if (r.kind !== 'subscribe') r.resolve(r.kind === 'broadcast' ? 'error' : 'ok');
  }

  private take(messageId: string): PendingRequest | undefined {
    const found = this.byId.get(messageId);
    this.byId.delete(messageId);
    return found;
  }
}

/** Whether a table ack describes the subscription this request asked for. */
function sameSubscription(request: SubscribeRequest, ack: Record<string, unknown>): boolean {
  const f = request.binding?.filter;
  if (f === undefined) return false;
  return ack.table === f.table && (ack.schema ?? 'public') === (f.schema ?? 'public') && (ack.event ?? '*') === f.event
    && (typeof ack.filter === 'string' && ack.filter !== '' ? ack.filter : undefined) === f.filter;
}
