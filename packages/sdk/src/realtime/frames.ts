// The realtime wire format (docs/realtime.md "Protocol"): building client frames and
// reading server frames into checked, normalised values. Pure functions, no socket.
import { FluxbaseError } from '../errors.ts';
import type { RealtimePostgresChangesFilter, RealtimePostgresChangesPayload, RealtimeSystemPayload } from './types.ts';

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

// ---- client → server -------------------------------------------------------------------

export type ClientFrame = { type: string } & Obj;

export const HEARTBEAT_FRAME: ClientFrame = { type: 'heartbeat' };

/** One DB subscription. `messageId` lets the server's ack or error name the request it answers. */
export function subscribeTableFrame(channel: string, filter: RealtimePostgresChangesFilter, messageId: string): ClientFrame {
  const config: Obj = { event: filter.event, schema: filter.schema ?? 'public', table: filter.table };
  if (filter.filter !== undefined) config.filter = filter.filter;
  return { type: 'subscribe', channel, config, messageId };
}

/** Join `channel` for broadcast and presence. */
export function subscribeChannelFrame(channel: string, config: { self: boolean; ack: boolean; key: string }, messageId: string): ClientFrame {
  return { type: 'subscribe', channel, config: { broadcast: { self: config.self, ack: config.ack }, presence: { key: config.key } }, messageId };
}

/** Without `subscriptionId`: everything of the channel. */
export function unsubscribeFrame(channel: string, subscriptionId?: string, messageId?: string): ClientFrame {
  const frame: ClientFrame = { type: 'unsubscribe', channel };
  if (subscriptionId !== undefined) frame.subscription_id = subscriptionId;
  if (messageId !== undefined) frame.messageId = messageId;
  return frame;
}

export function broadcastFrame(channel: string, event: string, payload: unknown, messageId?: string): ClientFrame {
  const frame: ClientFrame = { type: 'broadcast', channel, event, payload };
  if (messageId !== undefined) frame.messageId = messageId;
  return frame;
}

export function presenceFrame(channel: string, event: 'track' | 'untrack', key: string, state?: unknown): ClientFrame {
  const payload: Obj = { event, key };
  if (state !== undefined) payload.state = state;
  return { type: 'presence', channel, payload };
}

export function accessTokenFrame(token: string, messageId?: string): ClientFrame {
  return messageId === undefined ? { type: 'access_token', token } : { type: 'access_token', token, messageId };
}

// ---- server → client -------------------------------------------------------------------

export interface PresenceMessage {
  event: 'join' | 'leave' | 'sync';
  key?: string;
  newPresences?: unknown[];
  leftPresences?: unknown[];
  /** The whole channel's state (key → states) when the server sent one. */
  currentPresences?: Record<string, unknown[]>;
}

export interface AckFrame { type: 'ack'; channel?: string; messageId?: string; status?: string; payload: Obj }
/** `subscriptionIds`: the subscriptions an EXPIRED_TOKEN notice ended (absent when the error answers a request). */
export interface ErrorFrame { type: 'error'; channel?: string; messageId?: string; subscriptionIds?: string[]; error: FluxbaseError }
export interface ChangesFrame { type: 'postgres_changes'; subscriptionIds: string[]; payload: Obj }
export interface BroadcastFrame { type: 'broadcast'; channel: string; event: string; payload: unknown }
export interface PresenceFrame { type: 'presence'; channel: string; presence: PresenceMessage }
export interface SystemFrame { type: 'system'; payload: RealtimeSystemPayload }

export type ServerFrame =
  | AckFrame | ErrorFrame | ChangesFrame | BroadcastFrame | PresenceFrame | SystemFrame
  | { type: 'heartbeat' }
  /** A frame this SDK does not act on (execution logs, future types). */
  | { type: 'other'; raw: Obj };

/** A WebSocket message's data as text (text frames are strings; binary ones are decoded as UTF-8). */
export function frameText(data: unknown): string | null {
  if (typeof data === 'string') return data;
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data)
    : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
  if (bytes === null) return null;
  try {
    return new TextDecoder().decode(bytes);
  } catch {
    return null;
  }
}

/** One server frame, or null when it is not JSON or not a frame this SDK understands. */
export function parseServerFrame(text: string): ServerFrame | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(raw) || typeof raw.type !== 'string') return null;
  const channel = str(raw.channel);
  const payload = isObject(raw.payload) ? raw.payload : {};
  switch (raw.type) {
    case 'ack': {
      const messageId = str(raw.messageId) ?? str(payload.messageId);
      const status = str(raw.status) ?? str(payload.status);
      return { type: 'ack', payload, ...opt('channel', channel ?? str(payload.channel)), ...opt('messageId', messageId), ...opt('status', status) };
    }
    case 'error': {
      const ended = Array.isArray(payload.subscription_ids) ? payload.subscription_ids.filter((id): id is string => typeof id === 'string') : undefined;
      return {
        type: 'error', error: errorOf(raw, payload),
        ...opt('channel', channel), ...opt('messageId', str(raw.messageId) ?? str(payload.messageId)), ...opt('subscriptionIds', ended),
      };
    }
    case 'postgres_changes': {
      const ids = Array.isArray(raw.subscription_ids) ? raw.subscription_ids.filter((id): id is string => typeof id === 'string') : [];
      const single = str(raw.subscription_id);
      if (single !== undefined && !ids.includes(single)) ids.push(single);
      return { type: 'postgres_changes', subscriptionIds: ids, payload };
    }
    case 'broadcast': {
      // {payload: {broadcast: {event, payload}}}; a flat {event, payload} is read too.
      const inner = isObject(payload.broadcast) ? payload.broadcast : undefined;
      const event = str(inner?.event) ?? str(raw.event);
      if (channel === undefined || event === undefined) return null;
      return { type: 'broadcast', channel, event, payload: inner !== undefined ? inner.payload : raw.payload };
    }
    case 'presence': {
      const presence = presenceOf(isObject(payload.presence) ? payload.presence : payload);
      return channel === undefined || presence === null ? null : { type: 'presence', channel, presence };
    }
    case 'system':
      return { type: 'system', payload: { ...payload, event: str(payload.event) ?? str(raw.event) ?? 'unknown' } };
    case 'heartbeat':
      return { type: 'heartbeat' };
    default:
      return { type: 'other', raw };
  }
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function errorOf(raw: Obj, payload: Obj): FluxbaseError {
  // `code` is the catalog code; `error` its lower_snake form (older servers send only a sentence).
  const short = str(raw.error);
  const code = str(raw.code) ?? (short !== undefined && /^[a-z0-9_]+$/.test(short) ? short.toUpperCase() : 'REALTIME_ERROR');
  const message = str(payload.message) ?? str(raw.message) ?? short ?? code;
  return new FluxbaseError({ status: 0, code, error: short ?? code, message, details: isObject(raw.details) ? raw.details : undefined });
}

function presenceOf(p: Obj): PresenceMessage | null {
  const event = p.event;
  if (event !== 'join' && event !== 'leave' && event !== 'sync') return null;
  const out: PresenceMessage = { event };
  const key = str(p.key);
  if (key !== undefined) out.key = key;
  if (Array.isArray(p.newPresences)) out.newPresences = p.newPresences;
  if (Array.isArray(p.leftPresences)) out.leftPresences = p.leftPresences;
  if (isObject(p.currentPresences)) {
    const current: Record<string, unknown[]> = {};
    for (const [k, v] of Object.entries(p.currentPresences)) {
      if (Array.isArray(v)) current[k] = v;
      else if (v !== null && v !== undefined) current[k] = [v];
    }
    out.currentPresences = current;
  }
  return out;
}

/** A change event's payload as listeners receive it, or null when it is not one. */
export function toChangePayload(payload: Obj, now: () => Date = () => new Date()): RealtimePostgresChangesPayload | null {
  const eventType = payload.type;
  const schema = str(payload.schema);
  const table = str(payload.table);
  if ((eventType !== 'INSERT' && eventType !== 'UPDATE' && eventType !== 'DELETE') || schema === undefined || table === undefined) return null;
  const record = isObject(payload.record) ? payload.record : {};
  const oldRecord = isObject(payload.old_record) ? payload.old_record : {};
  const base = { schema, table, commit_timestamp: str(payload.commit_timestamp) ?? now().toISOString(), errors: null };
  switch (eventType) {
    case 'INSERT': return { ...base, eventType, new: record, old: {} };
    case 'UPDATE': return { ...base, eventType, new: record, old: oldRecord };
    case 'DELETE': return { ...base, eventType, new: {}, old: oldRecord };
  }
}
