// Which request an ack or error frame answers: messageId first, then what the frame
// describes (channel, table subscription), oldest first.
import { describe, expect, it } from 'vitest';
import { FluxbaseError } from '../errors.ts';
import type { RealtimeChannel, SubscribeRequest } from './channel.ts';
import type { AckFrame, ErrorFrame } from './frames.ts';
import { PendingRequests, type AnsweredRequest } from './requests.ts';

const channel = (name: string) => ({ name }) as RealtimeChannel;
const room = channel('room');
const lobby = channel('lobby');

function sub(messageId: string, ch: RealtimeChannel, table?: { table: string; event?: '*' | 'INSERT'; schema?: string; filter?: string }): SubscribeRequest {
  const binding = table === undefined ? null : { type: 'postgres_changes' as const, callback: () => {}, filter: { event: table.event ?? '*', table: table.table, schema: table.schema, filter: table.filter } };
  return { kind: 'subscribe', messageId, channel: ch, binding, round: 1 };
}

function answered(kind: AnsweredRequest['kind'], messageId: string, ch: string): AnsweredRequest & { results: string[] } {
  const results: string[] = [];
  return { kind, messageId, channel: ch, resolve: (r) => results.push(r), results };
}

function list(...requests: Array<SubscribeRequest | AnsweredRequest>): PendingRequests {
  const p = new PendingRequests();
  for (const r of requests) p.add(r);
  return p;
}

const ack = (frame: Omit<AckFrame, 'type'>): AckFrame => ({ type: 'ack', ...frame });
const err = (code: string, frame: Omit<ErrorFrame, 'type' | 'error'> = {}): ErrorFrame => ({ type: 'error', error: new FluxbaseError({ status: 0, code, error: code.toLowerCase() }), ...frame });

describe('takeAck', () => {
  const requests = () => [
    sub('m1', room, { table: 'a' }),
    sub('m2', room, { table: 'b', event: 'INSERT', filter: 'x=eq.1' }),
    sub('m3', room),
    sub('m4', lobby),
    answered('unsubscribe', 'm5', 'lobby'),
  ];

  it.each([
    ['by messageId', ack({ messageId: 'm3', payload: {} }), 'm3'],
    ['an unknown messageId matches nothing', ack({ messageId: 'zz', payload: { subscribed: true } }), undefined],
    ['a table ack by its table, event and filter', ack({ channel: 'room', payload: { subscribed: true, subscription_id: 's', table: 'b', schema: 'public', event: 'INSERT', filter: 'x=eq.1' } }), 'm2'],
    ['a table ack describing nothing pending: the oldest table subscribe of the channel', ack({ channel: 'room', payload: { subscribed: true, subscription_id: 's', table: 'zzz' } }), 'm1'],
    ['a table ack without channel', ack({ payload: { subscribed: true, subscription_id: 's', table: 'a', event: '*' } }), 'm1'],
    ['a join ack by channel', ack({ channel: 'lobby', payload: { subscribed: true, channel: 'lobby' } }), 'm4'],
    ['a join ack without channel: the oldest join', ack({ payload: { subscribed: true } }), 'm3'],
    ['a channel-wide unsubscribe ack', ack({ channel: 'lobby', payload: { unsubscribed: true } }), 'm5'],
    ['a per-subscription unsubscribe ack matches nothing', ack({ channel: 'lobby', payload: { unsubscribed: true, subscription_id: 's' } }), undefined],
    ['an access_token ack matches nothing', ack({ payload: { type: 'access_token', updated: true } }), undefined],
  ])('%s', (_name, frame, messageId) => {
    const p = list(...requests());
    const found = p.takeAck(frame);
    expect(found?.messageId).toBe(messageId);
    if (found !== undefined) expect(p.takeAck(ack({ messageId: found.messageId, payload: {} }))).toBeUndefined();
  });
});

describe('takeError', () => {
  it.each([
    ['by messageId', err('INSUFFICIENT_PERMISSIONS', { messageId: 'm4' }), 'm4'],
    ['by channel: the oldest subscribe of it', err('INVALID_FILTER', { channel: 'lobby' }), 'm3'],
    ['no channel, a subscribe error code: the oldest subscribe', err('TABLE_NOT_ENABLED'), 'm1'],
    ['no channel, another code: nothing', err('INVALID_TOKEN'), undefined],
  ])('%s', (_name, frame, messageId) => {
    const p = list(sub('m1', room, { table: 'a' }), sub('m2', room), sub('m3', lobby), answered('broadcast', 'm4', 'room'));
    expect(p.takeError(frame)?.messageId).toBe(messageId);
  });
});

describe('access_token answers', () => {
  const requests = () => list(sub('s1', room, { table: 'a' }), answered('access_token', 't1', ''));
  it.each([
    ['its ack', (p: PendingRequests) => p.takeAck(ack({ payload: { type: 'access_token', updated: true } })), 't1'],
    ['a refusal without channel', (p: PendingRequests) => p.takeError(err('INVALID_TOKEN')), 't1'],
    ['an expired new token', (p: PendingRequests) => p.takeError(err('EXPIRED_TOKEN')), 't1'],
    ['not the notice that subscriptions ended', (p: PendingRequests) => p.takeError(err('EXPIRED_TOKEN', { subscriptionIds: ['x'] })), undefined],
    ['not an error of a channel', (p: PendingRequests) => p.takeError(err('INSUFFICIENT_PERMISSIONS', { channel: 'room' })), 's1'],
  ])('%s', (_name, take, messageId) => {
    expect(take(requests())?.messageId).toBe(messageId);
  });
});

describe('failAll and dropChannel', () => {
  it('a closed socket answers unsubscribes ok and broadcasts error', () => {
    const u = answered('unsubscribe', 'u', 'room');
    const b = answered('broadcast', 'b', 'room');
    const t = answered('access_token', 't', '');
    const p = list(sub('s', room), u, b, t);
    p.failAll();
    expect([u.results, b.results, t.results]).toEqual([['ok'], ['error'], ['ok']]);
    expect(p.takeAck(ack({ messageId: 's', payload: {} }))).toBeUndefined();
  });

  it('forgets the subscribes of a removed channel only', () => {
    const p = list(sub('a', room), sub('b', lobby));
    p.dropChannel(room);
    expect(p.takeAck(ack({ payload: { subscribed: true } }))?.messageId).toBe('b');
  });
});
