// Channels over a WebSocket double: the subscribe frames a channel sends, when SUBSCRIBED,
// CHANNEL_ERROR and TIMED_OUT are reported, how change, broadcast, presence and system
// frames reach listeners, broadcast acks, presence tracking and unsubscribe.
import { describe, expect, it } from 'vitest';
import { ANON, BASE, fakeServer } from '../auth/fake-server.test-helper.ts';
import { createClient, type RealtimeChannel, type RealtimeChannelStatus, type RealtimeClientOptions, type RealtimePostgresChangesPayload } from '../index.ts';
import { fakeWebSocket, ManualTimers, settle, type FakeSocket } from './fake-socket.test-helper.ts';

function setup(realtime: RealtimeClientOptions = {}) {
  const ws = fakeWebSocket();
  const timers = new ManualTimers();
  const client = createClient(BASE, ANON, { fetch: fakeServer().fetch, auth: { persistSession: false }, realtime: { WebSocket: ws.WebSocket, timers, random: () => 0.5, ...realtime } });
  return { client, ws, timers };
}

/** Subscribe and open the socket; returns the statuses the channel reports. */
async function subscribed(channel: RealtimeChannel, ws: ReturnType<typeof fakeWebSocket>): Promise<{ socket: FakeSocket; statuses: Array<[RealtimeChannelStatus, string?]> }> {
  const statuses: Array<[RealtimeChannelStatus, string?]> = [];
  channel.subscribe((status, error) => statuses.push(error === undefined ? [status] : [status, error.code]));
  await settle();
  const socket = ws.last();
  if (socket.readyState === 0) socket.open();
  return { socket, statuses };
}

const change = (ids: string[], payload: Record<string, unknown>) => ({ type: 'postgres_changes', channel: 'x', subscription_ids: ids, payload: { schema: 'public', table: 'posts', commit_timestamp: '2026-01-18T10:00:00.123Z', ...payload } });

describe('subscribe', () => {
  it('sends one frame per postgres_changes listener, and a join only when broadcast or presence listens', async () => {
    const { client, ws } = setup();
    const noop = () => {};
    const a = client.channel('db-only')
      .on('postgres_changes', { event: 'INSERT', table: 'posts' }, noop)
      .on('postgres_changes', { event: 'UPDATE', schema: 'blog', table: 'posts', filter: 'id=eq.1' }, noop);
    const b = client.channel('room', { config: { broadcast: { self: true, ack: true }, presence: { key: 'me' } } })
      .on('postgres_changes', { event: '*', table: 'posts' }, noop)
      .on('broadcast', { event: 'cursor' }, noop);
    const c = client.channel('bare');
    const { socket } = await subscribed(a, ws);
    b.subscribe();
    c.subscribe();
    const frames = socket.frames('subscribe').map(({ messageId, ...rest }) => (expect(typeof messageId).toBe('string'), rest));
    expect(frames).toEqual([
      { type: 'subscribe', channel: 'db-only', config: { event: 'INSERT', schema: 'public', table: 'posts' } },
      { type: 'subscribe', channel: 'db-only', config: { event: 'UPDATE', schema: 'blog', table: 'posts', filter: 'id=eq.1' } },
      { type: 'subscribe', channel: 'room', config: { event: '*', schema: 'public', table: 'posts' } },
      { type: 'subscribe', channel: 'room', config: { broadcast: { self: true, ack: true }, presence: { key: 'me' } } },
      { type: 'subscribe', channel: 'bare', config: { broadcast: { self: false, ack: false }, presence: { key: c.presenceKey } } },
    ]);
    expect(ws.sockets).toHaveLength(1);
  });

  it('reports SUBSCRIBED only after every subscribe is acknowledged', async () => {
    const { client, ws } = setup();
    const ch = client.channel('c').on('postgres_changes', { event: 'INSERT', table: 'a' }, () => {}).on('presence', { event: 'sync' }, () => {});
    const { socket, statuses } = await subscribed(ch, ws);
    const [first, second] = socket.frames('subscribe');
    socket.receive({ type: 'ack', channel: 'c', messageId: first?.messageId, payload: { subscribed: true, subscription_id: 's1', channel: 'c', schema: 'public', table: 'a', event: 'INSERT' } });
    expect(statuses).toEqual([]);
    expect(ch.state).toBe('joining');
    socket.receive({ type: 'ack', channel: 'c', messageId: second?.messageId, payload: { subscribed: true, channel: 'c' } });
    expect(statuses).toEqual([['SUBSCRIBED']]);
    expect(ch.state).toBe('joined');
    // A callback added later hears the current state at once.
    const late: string[] = [];
    ch.subscribe((s) => late.push(s));
    expect(late).toEqual(['SUBSCRIBED']);
  });

  it('matches acks by what they describe when the server does not echo messageId', async () => {
    const { client, ws } = setup();
    const got: string[] = [];
    const ch = client.channel('c')
      .on('postgres_changes', { event: 'INSERT', table: 'a' }, () => got.push('a'))
      .on('postgres_changes', { event: 'INSERT', table: 'b', filter: 'x=eq.1' }, () => got.push('b'));
    const { socket, statuses } = await subscribed(ch, ws);
    // Answered out of order, without messageId.
    socket.receive({ type: 'ack', channel: 'c', payload: { subscribed: true, subscription_id: 'sb', channel: 'c', schema: 'public', table: 'b', event: 'INSERT', filter: 'x=eq.1' } });
    socket.receive({ type: 'ack', payload: { subscribed: true, subscription_id: 'sa', schema: 'public', table: 'a', event: 'INSERT' } });
    expect(statuses).toEqual([['SUBSCRIBED']]);
    socket.receive(change(['sb'], { type: 'INSERT', table: 'b', record: {} }));
    expect(got).toEqual(['b']);
  });

  it('reports CHANNEL_ERROR with the error of a refused subscribe; accepted ones keep delivering', async () => {
    const { client, ws } = setup();
    const got: unknown[] = [];
    const ch = client.channel('c')
      .on('postgres_changes', { event: '*', table: 'ok' }, (p) => got.push(p.table))
      .on('postgres_changes', { event: '*', table: 'nope' }, () => {});
    const { socket, statuses } = await subscribed(ch, ws);
    const [ok, nope] = socket.frames('subscribe');
    socket.receive({ type: 'ack', channel: 'c', messageId: ok?.messageId, payload: { subscribed: true, subscription_id: 's-ok', channel: 'c', table: 'ok', event: '*' } });
    socket.receive({ type: 'error', error: 'table_not_enabled', code: 'TABLE_NOT_ENABLED', channel: 'c', messageId: nope?.messageId, payload: { message: 'Table public.nope is not enabled for realtime' } });
    expect(statuses).toEqual([['CHANNEL_ERROR', 'TABLE_NOT_ENABLED']]);
    expect(ch.state).toBe('errored');
    socket.receive(change(['s-ok'], { type: 'INSERT', table: 'ok', record: {} }));
    expect(got).toEqual(['ok']);
  });

  it('attributes an error without messageId to the oldest subscribe of its channel', async () => {
    const { client, ws } = setup();
    const a = client.channel('a');
    const b = client.channel('b').on('postgres_changes', { event: '*', table: 't', filter: 'bad' }, () => {});
    const { socket, statuses: sa } = await subscribed(a, ws);
    const sb: string[] = [];
    b.subscribe((s, e) => sb.push(`${s} ${e?.code ?? ''}`.trim()));
    socket.receive({ type: 'error', error: 'invalid_filter', code: 'INVALID_FILTER', channel: 'b', payload: { message: 'bad filter' } });
    expect(sb).toEqual(['CHANNEL_ERROR INVALID_FILTER']);
    socket.ackSubscribes();
    expect(sa).toEqual([['SUBSCRIBED']]);
  });

  it('reports TIMED_OUT when acks do not come in time, and SUBSCRIBED if they come later', async () => {
    const { client, ws, timers } = setup({ timeoutMs: 5_000 });
    const { socket, statuses } = await subscribed(client.channel('slow'), ws);
    timers.advance(4_999);
    expect(statuses).toEqual([]);
    timers.advance(1);
    expect(statuses).toEqual([['TIMED_OUT']]);
    socket.ackSubscribes();
    expect(statuses).toEqual([['TIMED_OUT'], ['SUBSCRIBED']]);
  });

  it('refuses postgres_changes listeners added after subscribe, and bad filters', async () => {
    const { client, ws } = setup();
    const ch = client.channel('c').on('postgres_changes', { event: '*', table: 't' }, () => {});
    await subscribed(ch, ws);
    expect(() => ch.on('postgres_changes', { event: '*', table: 'u' }, () => {})).toThrow(/before subscribe/);
    expect(() => ch.on('broadcast', { event: 'x' }, () => {})).toThrow(/before subscribe/);
    ch.on('system', {}, () => {});
    const other = client.channel('d');
    expect(() => other.on('postgres_changes', { event: 'TRUNCATE' as 'INSERT', table: 't' }, () => {})).toThrow(TypeError);
    expect(() => other.on('postgres_changes', { event: '*', table: '' }, () => {})).toThrow(TypeError);
    expect(() => other.on('presence', { event: 'joined' as 'join' }, () => {})).toThrow(TypeError);
  });

  it('types the payload by event and row type', () => {
    const { client } = setup();
    const event = 'UPDATE' as 'INSERT' | 'UPDATE';
    client.channel('typed')
      .on<{ id: number; title: string }>('postgres_changes', { event: 'INSERT', table: 't' }, (p) => {
        const id: number = p.new.id;
        const old: Record<string, never> = p.old;
        void id; void old;
      })
      .on<{ id: number }>('postgres_changes', { event: 'DELETE', table: 't' }, (p) => {
        const id: number | undefined = p.old.id;
        void id;
      })
      .on<{ id: number }>('postgres_changes', { event, table: 't' }, (p) => {
        if (p.eventType === 'DELETE') return;
        const id: number = p.new.id;
        void id;
      })
      .on<{ text: string }>('broadcast', { event: 'chat' }, (m) => {
        const text: string = m.payload.text;
        void text;
      })
      .on<{ user: string }>('presence', { event: 'join' }, (p) => {
        const user: string | undefined = p.newPresences[0]?.user;
        void user;
      });
    expect(client.getChannels()).toHaveLength(1);
  });

  it('channel(name) hands back the existing channel', () => {
    const { client } = setup();
    const a = client.channel('room');
    expect(client.channel('room')).toBe(a);
    expect(client.getChannels()).toEqual([a]);
    expect(() => client.channel('')).toThrow(TypeError);
  });
});

describe('postgres_changes routing', () => {
  it('delivers to each binding listed in subscription_ids, once, across channels', async () => {
    const { client, ws } = setup();
    const got: Array<[string, RealtimePostgresChangesPayload]> = [];
    const one = client.channel('one')
      .on('postgres_changes', { event: '*', table: 'posts' }, (p) => got.push(['one:*', p]))
      .on('postgres_changes', { event: 'INSERT', table: 'posts', filter: 'id=eq.1' }, (p) => got.push(['one:insert', p]));
    const two = client.channel('two').on('postgres_changes', { event: 'DELETE', table: 'posts' }, (p) => got.push(['two:delete', p]));
    const { socket } = await subscribed(one, ws);
    two.subscribe();
    socket.ackSubscribes((f) => `${String(f.channel)}/${String((f.config as Record<string, unknown>).event)}`);

    socket.receive(change(['one/*', 'one/INSERT'], { type: 'INSERT', record: { id: 1 } }));
    expect(got.map(([who]) => who)).toEqual(['one:*', 'one:insert']);
    expect(got[0]?.[1]).toEqual({ eventType: 'INSERT', schema: 'public', table: 'posts', commit_timestamp: '2026-01-18T10:00:00.123Z', new: { id: 1 }, old: {}, errors: null });

    got.length = 0;
    socket.receive(change(['one/*', 'two/DELETE', 'one/*'], { type: 'DELETE', record: null, old_record: { id: 1 } }));
    expect(got.map(([who]) => who)).toEqual(['one:*', 'two:delete']);
    expect(got[1]?.[1]).toMatchObject({ eventType: 'DELETE', new: {}, old: { id: 1 } });

    got.length = 0;
    socket.receive(change(['someone-else'], { type: 'UPDATE', record: { id: 2 }, old_record: { id: 2 } }));
    socket.receive(change(['one/*'], { type: 'TRUNCATE' }));
    expect(got).toEqual([]);
  });

  it('a throwing listener does not stop the others', async () => {
    const { client, ws } = setup();
    const got: string[] = [];
    const ch = client.channel('c')
      .on('postgres_changes', { event: '*', table: 't' }, () => { throw new Error('boom'); })
      .on('postgres_changes', { event: '*', table: 't' }, () => got.push('second'));
    const { socket } = await subscribed(ch, ws);
    socket.ackSubscribes();
    const ids = socket.frames('subscribe').map((f) => `sub-${String(f.messageId)}`);
    const original = console.error;
    console.error = () => {};
    try {
      socket.receive(change(ids, { type: 'INSERT', table: 't', record: {} }));
    } finally {
      console.error = original;
    }
    expect(got).toEqual(['second']);
  });
});

describe('broadcast', () => {
  it('delivers by event name, and * gets them all', async () => {
    const { client, ws } = setup();
    const got: string[] = [];
    const ch = client.channel('room')
      .on('broadcast', { event: 'cursor' }, (m) => got.push(`cursor ${JSON.stringify(m)}`))
      .on('broadcast', { event: '*' }, (m) => got.push(`any ${m.event}`));
    const { socket } = await subscribed(ch, ws);
    socket.receive({ type: 'broadcast', channel: 'room', event: 'cursor', payload: { broadcast: { event: 'cursor', payload: { x: 1 } } } });
    socket.receive({ type: 'broadcast', channel: 'room', event: 'chat', payload: { broadcast: { event: 'chat', payload: {} } } });
    socket.receive({ type: 'broadcast', channel: 'elsewhere', event: 'cursor', payload: { broadcast: { event: 'cursor', payload: {} } } });
    expect(got).toEqual(['cursor {"type":"broadcast","event":"cursor","payload":{"x":1}}', 'any cursor', 'any chat']);
  });

  it('send without ack resolves ok once written', async () => {
    const { client, ws } = setup();
    const ch = client.channel('room');
    const { socket } = await subscribed(ch, ws);
    expect(await ch.send({ type: 'broadcast', event: 'hi', payload: { n: 1 } })).toBe('ok');
    expect(socket.frames('broadcast')).toEqual([{ type: 'broadcast', channel: 'room', event: 'hi', payload: { n: 1 } }]);
  });

  it('send with ack waits for the ack frame of its messageId', async () => {
    const { client, ws, timers } = setup({ timeoutMs: 1_000 });
    const ch = client.channel('room', { config: { broadcast: { ack: true } } });
    const { socket } = await subscribed(ch, ws);

    const sent = ch.send({ type: 'broadcast', event: 'hi', payload: {} });
    await settle();
    const frame = socket.frames('broadcast')[0];
    expect(typeof frame?.messageId).toBe('string');
    socket.receive({ type: 'ack', messageId: 'someone-else', status: 'ok', payload: {} });
    socket.receive({ type: 'ack', messageId: frame?.messageId, status: 'ok', payload: { messageId: frame?.messageId, status: 'ok' } });
    expect(await sent).toBe('ok');

    const refused = ch.send({ type: 'broadcast', event: 'hi', payload: {} });
    await settle();
    socket.receive({ type: 'error', error: 'insufficient_permissions', code: 'INSUFFICIENT_PERMISSIONS', messageId: socket.frames('broadcast')[1]?.messageId, payload: { message: 'no' } });
    expect(await refused).toBe('error');

    const unanswered = ch.send({ type: 'broadcast', event: 'hi', payload: {} });
    await settle();
    timers.advance(1_000);
    expect(await unanswered).toBe('timed out');
  });

  it('send opens the connection when needed and fails for a removed channel', async () => {
    const { client, ws, timers } = setup({ timeoutMs: 1_000 });
    const ch = client.channel('room');
    const sent = ch.send({ type: 'broadcast', event: 'hi' });
    await settle();
    ws.last().open();
    expect(await sent).toBe('ok');
    expect(ws.last().frames('broadcast')).toEqual([{ type: 'broadcast', channel: 'room', event: 'hi', payload: {} }]);

    await client.removeChannel(ch);
    expect(await ch.send({ type: 'broadcast', event: 'hi' })).toBe('error');
    const other = client.channel('later');
    const pending = other.send({ type: 'broadcast', event: 'x' });
    await settle();
    timers.advance(1_000);
    expect(await pending).toBe('timed out');
  });
});

describe('presence', () => {
  it('track, untrack and the state maintained from presence frames', async () => {
    const { client, ws } = setup();
    const events: string[] = [];
    const ch = client.channel('room', { config: { presence: { key: 'ann' } } })
      .on('presence', { event: 'join' }, (p) => events.push(`join ${p.key} ${JSON.stringify(p.newPresences)}`))
      .on('presence', { event: 'leave' }, (p) => events.push(`leave ${p.key}`))
      .on('presence', { event: 'sync' }, () => events.push(`sync ${Object.keys(ch.presenceState()).join(',')}`));
    const { socket } = await subscribed(ch, ws);
    socket.ackSubscribes();

    expect(await ch.track({ online_at: 't1' })).toBe('ok');
    expect(socket.frames('presence')).toEqual([{ type: 'presence', channel: 'room', payload: { event: 'track', key: 'ann', state: { online_at: 't1' } } }]);

    const presence = (p: Record<string, unknown>) => socket.receive({ type: 'presence', channel: 'room', payload: { presence: p } });
    presence({ event: 'join', key: 'ann', newPresences: [{ online_at: 't1' }], currentPresences: { ann: [{ online_at: 't1' }] } });
    presence({ event: 'join', key: 'bob', newPresences: [{ online_at: 't2' }], currentPresences: { ann: [{ online_at: 't1' }], bob: [{ online_at: 't2' }] } });
    expect(ch.presenceState()).toEqual({ ann: [{ online_at: 't1' }], bob: [{ online_at: 't2' }] });
    presence({ event: 'leave', key: 'bob', leftPresences: [{ online_at: 't2' }], currentPresences: { ann: [{ online_at: 't1' }] } });
    expect(events).toEqual(['join ann [{"online_at":"t1"}]', 'sync ann', 'join bob [{"online_at":"t2"}]', 'sync ann,bob', 'leave bob', 'sync ann']);

    expect(await ch.untrack()).toBe('ok');
    expect(socket.frames('presence').at(-1)).toEqual({ type: 'presence', channel: 'room', payload: { event: 'untrack', key: 'ann' } });
  });
});

describe('system frames', () => {
  it('reach client.realtime.onSystem and the channels system listeners', async () => {
    const { client, ws } = setup();
    const got: string[] = [];
    const ch = client.channel('c')
      .on('system', {}, (p) => got.push(`channel ${p.event}`))
      .on('system', { event: 'shutdown' }, () => got.push('channel shutdown only'));
    const listener = client.realtime.onSystem((p) => got.push(`client ${p.event} ${p.since ?? ''}`.trim()));
    const { socket } = await subscribed(ch, ws);
    socket.receive({ type: 'system', payload: { event: 'listener_reconnected', message: 'changes may have been missed', since: '2026-01-18T10:00:00Z' } });
    socket.receive({ type: 'system', payload: { event: 'shutdown' } });
    listener.unsubscribe();
    socket.receive({ type: 'system', payload: { event: 'shutdown' } });
    expect(got).toEqual([
      'client listener_reconnected 2026-01-18T10:00:00Z', 'channel listener_reconnected',
      'client shutdown', 'channel shutdown', 'channel shutdown only',
      'channel shutdown', 'channel shutdown only',
    ]);
  });
});

describe('unsubscribe', () => {
  it('sends unsubscribe frames, waits for the ack, reports CLOSED and removes the channel', async () => {
    const { client, ws } = setup();
    const keep = client.channel('keep');
    const ch = client.channel('c').on('postgres_changes', { event: '*', table: 't' }, () => {}).on('presence', { event: 'sync' }, () => {});
    const { socket, statuses } = await subscribed(ch, ws);
    keep.subscribe();
    socket.ackSubscribes();
    await ch.track({ here: true });
    const id = `sub-${String(socket.frames('subscribe')[0]?.messageId)}`;

    const done = ch.unsubscribe();
    expect(statuses).toEqual([['SUBSCRIBED'], ['CLOSED']]);
    expect(client.getChannels()).toEqual([keep]);
    const sent = socket.sent.slice(-3);
    expect(sent.slice(0, 2)).toEqual([
      { type: 'presence', channel: 'c', payload: { event: 'untrack', key: ch.presenceKey } },
      { type: 'unsubscribe', channel: 'c', subscription_id: id },
    ]);
    expect(sent[2]).toMatchObject({ type: 'unsubscribe', channel: 'c' });
    expect(sent[2]).not.toHaveProperty('subscription_id');
    socket.receive({ type: 'ack', channel: 'c', payload: { unsubscribed: true, subscription_id: id } });
    socket.receive({ type: 'ack', channel: 'c', payload: { unsubscribed: true } });
    expect(await done).toBe('ok');
    expect(ch.state).toBe('closed');
    expect(socket.readyState).toBe(1);
  });

  it('a removed channel can subscribe again while its name is free', async () => {
    const { client, ws } = setup();
    const ch = client.channel('c');
    const { socket } = await subscribed(ch, ws);
    await client.removeChannel(ch);
    expect(client.getChannels()).toEqual([]);
    expect(socket.closedWith).toEqual({ code: 1000, reason: 'no channels' });
    ch.subscribe();
    expect(client.getChannels()).toEqual([ch]);
    const other = client.channel('d');
    await other.unsubscribe();
    client.channel('d');
    expect(() => other.subscribe()).toThrow(/another channel/);
  });
});
