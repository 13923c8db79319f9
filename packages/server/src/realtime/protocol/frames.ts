// The Fluxbase realtime frames (docs/realtime.md "Protocol"): parsing client frames (zod) and
// rendering server frames. Errors are `{type: "error", error: "<lower_snake>", code, payload:
// {message}, channel?, messageId?}` and leave the connection open.
import { z } from 'zod';
import type { Outgoing } from '../engine/types.ts';

const str = z.string().max(1024);
const config = z.object({
  event: str.optional(),
  schema: str.optional(),
  table: str.optional(),
  filter: z.string().max(4096).optional(),
  broadcast: z.object({ self: z.boolean().optional(), ack: z.boolean().optional() }).loose().optional(),
  presence: z.object({ key: str.optional() }).loose().optional(),
  execution_id: str.optional(),
  type: str.optional(),
}).loose();

/** Every client frame: the common envelope; each type reads what it needs. */
export const clientFrame = z.object({
  type: z.string().max(64),
  channel: z.string().max(1024).optional(),
  event: str.optional(),
  schema: str.optional(),
  table: str.optional(),
  filter: z.string().max(4096).optional(),
  payload: z.unknown().optional(),
  config: config.optional(),
  subscription_id: str.optional(),
  messageId: z.union([z.string().max(256), z.number()]).optional(),
  token: z.string().max(16384).optional(),
}).loose();

export type ClientFrame = z.infer<typeof clientFrame>;

export type FrameError = { code: string; message: string; channel?: string | undefined; messageId?: string | number | undefined; details?: Record<string, unknown> | undefined };

/** Parse one text frame; a FrameError for invalid JSON or a malformed envelope. */
export function parseFrame(text: string): ClientFrame | FrameError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { code: 'INVALID_MESSAGE', message: 'The message is not valid JSON' };
  }
  const parsed = clientFrame.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    return { code: 'INVALID_MESSAGE', message: `Invalid message${where}: ${issue?.message ?? 'expected an object with a "type"'}` };
  }
  return parsed.data;
}

export function isFrameError(x: ClientFrame | FrameError): x is FrameError {
  return 'code' in x && 'message' in x && !('type' in x);
}

export function renderError(e: FrameError): string {
  return JSON.stringify({
    type: 'error', error: e.code.toLowerCase(), code: e.code,
    payload: { message: e.message, ...(e.details ?? {}) },
    ...(e.channel !== undefined ? { channel: e.channel } : {}),
    ...(e.messageId !== undefined ? { messageId: e.messageId } : {}),
  });
}

export function renderAck(payload: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'ack', ...extra, payload });
}

export function render(message: Outgoing): string {
  switch (message.kind) {
    case 'change':
      // The payload is rendered once per change and shared by every connection receiving it.
      return `{"type":"postgres_changes","channel":${JSON.stringify(message.channel)},"subscription_id":${JSON.stringify(message.subscriptionIds[0])},`
        + `"subscription_ids":${JSON.stringify(message.subscriptionIds)},"payload":${message.payload()}}`;
    case 'broadcast':
      return JSON.stringify({
        type: 'broadcast', channel: message.channel, event: message.event,
        payload: { broadcast: { event: message.event, payload: message.payload, ...(message.self ? { self: true } : {}) } },
      });
    case 'presence':
      return JSON.stringify({ type: 'presence', channel: message.channel, payload: { presence: message.presence } });
    case 'system':
      return JSON.stringify({ type: 'system', payload: { event: message.event, message: message.message, ...(message.since ? { since: message.since } : {}) } });
    case 'expired':
      return renderError({
        code: message.code,
        message: message.code === 'EXPIRED_TOKEN'
          ? 'The access token expired, so its subscriptions ended; send {"type":"access_token","token":"<fresh token>"} and subscribe again'
          : 'The session behind this connection was signed out or revoked, so its subscriptions ended; sign in again and send {"type":"access_token","token":"<new token>"}',
        details: { subscription_ids: message.subscriptionIds },
      });
    case 'raw':
      return message.text;
  }
}
