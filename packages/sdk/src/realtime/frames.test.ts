// The wire format of docs/realtime.md "Protocol": server frames read into checked values
// (rows of raw frame → parsed frame), change payloads as listeners get them, client frames
// and the URL.
import { describe, expect, it } from 'vitest';
import {
  broadcastFrame, frameText, parseServerFrame, presenceFrame, subscribeChannelFrame, subscribeTableFrame, toChangePayload, unsubscribeFrame,
} from './frames.ts';
import { realtimeUrl } from './realtime-client.ts';

const parse = (frame: unknown) => parseServerFrame(JSON.stringify(frame));

describe('parseServerFrame', () => {
  it.each([
    ['subscribe ack', { type: 'ack', channel: 'room', payload: { subscribed: true, subscription_id: 's1', channel: 'room' } },
      { type: 'ack', channel: 'room', payload: { subscribed: true, subscription_id: 's1', channel: 'room' } }],
    ['broadcast ack, top-level fields', { type: 'ack', messageId: 'm1', status: 'ok', payload: { messageId: 'm1', status: 'ok' } },
      { type: 'ack', messageId: 'm1', status: 'ok', payload: { messageId: 'm1', status: 'ok' } }],
    ['broadcast ack, fields in payload only', { type: 'ack', payload: { messageId: 'm2', status: 'ok' } },
      { type: 'ack', messageId: 'm2', status: 'ok', payload: { messageId: 'm2', status: 'ok' } }],
    ['ack naming its channel in payload', { type: 'ack', payload: { subscribed: true, channel: 'c' } },
      { type: 'ack', channel: 'c', payload: { subscribed: true, channel: 'c' } }],
    ['changes listing several subscriptions', { type: 'postgres_changes', channel: 'c', subscription_id: 'a', subscription_ids: ['a', 'b'], payload: { type: 'INSERT' } },
      { type: 'postgres_changes', subscriptionIds: ['a', 'b'], payload: { type: 'INSERT' } }],
    ['changes with only subscription_id', { type: 'postgres_changes', subscription_id: 'a', payload: {} },
      { type: 'postgres_changes', subscriptionIds: ['a'], payload: {} }],
    ['broadcast', { type: 'broadcast', channel: 'c', event: 'x', payload: { broadcast: { event: 'x', payload: { n: 1 }, self: true } } },
      { type: 'broadcast', channel: 'c', event: 'x', payload: { n: 1 } }],
    ['flat broadcast', { type: 'broadcast', channel: 'c', event: 'x', payload: { n: 1 } },
      { type: 'broadcast', channel: 'c', event: 'x', payload: { n: 1 } }],
    ['presence', { type: 'presence', channel: 'c', payload: { presence: { event: 'join', key: 'k', newPresences: [{ a: 1 }], currentPresences: { k: [{ a: 1 }] } } } },
      { type: 'presence', channel: 'c', presence: { event: 'join', key: 'k', newPresences: [{ a: 1 }], currentPresences: { k: [{ a: 1 }] } } }],
    ['presence whose current state holds single states', { type: 'presence', channel: 'c', payload: { presence: { event: 'sync', currentPresences: { k: { a: 1 } } } } },
      { type: 'presence', channel: 'c', presence: { event: 'sync', currentPresences: { k: [{ a: 1 }] } } }],
    ['system', { type: 'system', payload: { event: 'listener_reconnected', message: 'm', since: '2026-01-18T10:00:00Z' } },
      { type: 'system', payload: { event: 'listener_reconnected', message: 'm', since: '2026-01-18T10:00:00Z' } }],
    ['heartbeat', { type: 'heartbeat' }, { type: 'heartbeat' }],
    ['execution log (not handled)', { type: 'execution_log', payload: {} }, { type: 'other', raw: { type: 'execution_log', payload: {} } }],
  ])('%s', (_name, raw, parsed) => {
    expect(parse(raw)).toEqual(parsed);
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['no type', '{"channel":"c"}'],
    ['broadcast without channel', '{"type":"broadcast","payload":{"broadcast":{"event":"x"}}}'],
    ['presence with an unknown event', '{"type":"presence","channel":"c","payload":{"presence":{"event":"track"}}}'],
  ])('ignores %s', (_name, text) => {
    expect(parseServerFrame(text)).toBeNull();
  });

  it('reads error frames into a FluxbaseError', () => {
    const f = parse({ type: 'error', error: 'table_not_enabled', code: 'TABLE_NOT_ENABLED', channel: 'c', messageId: 'm', payload: { message: 'Table public.x is not enabled for realtime' } });
    expect(f).toMatchObject({ type: 'error', channel: 'c', messageId: 'm' });
    expect(f?.type === 'error' && f.error).toMatchObject({ name: 'FluxbaseError', status: 0, code: 'TABLE_NOT_ENABLED', error: 'table_not_enabled', message: 'Table public.x is not enabled for realtime' });
  });

  it.each([
    [{ type: 'error', error: 'expired_token', payload: { message: 'Token expired' } }, 'EXPIRED_TOKEN', 'Token expired'],
    [{ type: 'error', error: 'invalid token' }, 'REALTIME_ERROR', 'invalid token'],
    [{ type: 'error' }, 'REALTIME_ERROR', 'REALTIME_ERROR'],
  ])('derives the code of %j', (raw, code, message) => {
    const f = parse(raw);
    expect(f?.type === 'error' && { code: f.error.code, message: f.error.message }).toEqual({ code, message });
  });
});

describe('toChangePayload', () => {
  const at = '2026-01-18T10:00:00.123Z';
  it.each([
    ['INSERT', { record: { id: 1 } }, { new: { id: 1 }, old: {} }],
    ['UPDATE', { record: { id: 1, v: 2 }, old_record: { id: 1, v: 1 } }, { new: { id: 1, v: 2 }, old: { id: 1, v: 1 } }],
    ['DELETE', { record: null, old_record: { id: 1 } }, { new: {}, old: { id: 1 } }],
  ])('%s', (type, rows, expected) => {
    expect(toChangePayload({ type, schema: 'public', table: 'posts', commit_timestamp: at, ...rows }))
      .toEqual({ eventType: type, schema: 'public', table: 'posts', commit_timestamp: at, errors: null, ...expected });
  });

  it('stamps the client clock when the server sent no commit timestamp', () => {
    const p = toChangePayload({ type: 'INSERT', schema: 'public', table: 't', record: {} }, () => new Date(at));
    expect(p?.commit_timestamp).toBe(at);
  });

  it.each([[{ type: 'TRUNCATE', schema: 's', table: 't' }], [{ type: 'INSERT', table: 't' }], [{ type: 'INSERT', schema: 's' }]])('refuses %j', (payload) => {
    expect(toChangePayload(payload)).toBeNull();
  });
});

describe('client frames', () => {
  it('subscribe to a table: schema defaults to public, no filter key without a filter', () => {
    expect(subscribeTableFrame('c', { event: '*', table: 't' }, 'm1')).toEqual({ type: 'subscribe', channel: 'c', config: { event: '*', schema: 'public', table: 't' }, messageId: 'm1' });
    expect(subscribeTableFrame('c', { event: 'UPDATE', schema: 's', table: 't', filter: 'id=eq.1' }, 'm2'))
      .toEqual({ type: 'subscribe', channel: 'c', config: { event: 'UPDATE', schema: 's', table: 't', filter: 'id=eq.1' }, messageId: 'm2' });
  });

  it('join a channel', () => {
    expect(subscribeChannelFrame('c', { self: true, ack: false, key: 'k' }, 'm'))
      .toEqual({ type: 'subscribe', channel: 'c', config: { broadcast: { self: true, ack: false }, presence: { key: 'k' } }, messageId: 'm' });
  });

  it('unsubscribe, broadcast and presence', () => {
    expect(unsubscribeFrame('c')).toEqual({ type: 'unsubscribe', channel: 'c' });
    expect(unsubscribeFrame('c', 's1', 'm')).toEqual({ type: 'unsubscribe', channel: 'c', subscription_id: 's1', messageId: 'm' });
    expect(broadcastFrame('c', 'e', { a: 1 })).toEqual({ type: 'broadcast', channel: 'c', event: 'e', payload: { a: 1 } });
    expect(broadcastFrame('c', 'e', {}, 'm')).toEqual({ type: 'broadcast', channel: 'c', event: 'e', payload: {}, messageId: 'm' });
    expect(presenceFrame('c', 'track', 'k', { online: true })).toEqual({ type: 'presence', channel: 'c', payload: { event: 'track', key: 'k', state: { online: true } } });
    expect(presenceFrame('c', 'untrack', 'k')).toEqual({ type: 'presence', channel: 'c', payload: { event: 'untrack', key: 'k' } });
  });

  it('decodes binary frames as UTF-8', () => {
    expect(frameText(new TextEncoder().encode('{"type":"heartbeat"}'))).toBe('{"type":"heartbeat"}');
    expect(frameText('x')).toBe('x');
    expect(frameText(42)).toBeNull();
  });
});

describe('realtimeUrl', () => {
  it.each([
    ['http://localhost:8080', null, 'ws://localhost:8080/realtime?apikey=anon'],
    ['https://api.example.com', 'user-jwt', 'wss://api.example.com/realtime?apikey=anon&token=user-jwt'],
    ['https://example.com/fluxbase/', null, 'wss://example.com/fluxbase/realtime?apikey=anon'],
    ['http://h', 'anon', 'ws://h/realtime?apikey=anon'],
  ])('%s with token %s', (base, token, url) => {
    expect(realtimeUrl(base, 'anon', token)).toBe(url);
  });
});
