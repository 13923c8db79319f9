// The shared connection over a WebSocket double and timers the test advances: lazy open
// and the URL, one socket for all channels, heartbeats, reconnect backoff and what is sent
// again after a reconnect, close codes, the idle check, tokens (setAuth, the auth session,
// EXPIRED_TOKEN) and a missing WebSocket implementation.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ANON, BASE, fakeServer, makeSession, type FakeServer } from '../auth/fake-server.test-helper.ts';
import { createClient, type RealtimeClientOptions, type RealtimeWebSocketConstructor } from '../index.ts';
import { fakeWebSocket, ManualTimers, settle } from './fake-socket.test-helper.ts';

afterEach(() => {
  vi.unstubAllGlobals();
});

function setup(realtime: RealtimeClientOptions = {}, server: FakeServer = fakeServer()) {
  const ws = fakeWebSocket();
  const timers = new ManualTimers();
  const client = createClient(BASE, ANON, { fetch: server.fetch, auth: { persistSession: false, autoRefreshToken: false }, realtime: { WebSocket: ws.WebSocket, timers, random: () => 0.5, ...realtime } });
  const statuses: string[] = [];
  const errors: string[] = [];
  client.realtime.onError((e) => errors.push(e.code));
  return { client, ws, timers, server, statuses, errors, record: (s: string, e?: { code: string }) => statuses.push(e === undefined ? s : `${s} ${e.code}`) };
}

// The DOM WebSocket fits the option type without a cast.
const _domFits: RealtimeWebSocketConstructor | undefined = typeof WebSocket === 'undefined' ? undefined : WebSocket;
void _domFits;

describe('the connection', () => {
  it('opens lazily on the first subscribe, once for every channel, with the API key in the URL', async () => {
    const { client, ws } = setup();
    const a = client.channel('a');
    const b = client.channel('b');
    await settle();
    expect(ws.sockets).toHaveLength(0);
    expect(client.realtime.connectionState()).toBe('closed');
    a.subscribe();
    b.subscribe();
    await settle();
    expect(ws.sockets).toHaveLength(1);
    expect(client.realtime.connectionState()).toBe('connecting');
    const url = ws.last().url;
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe('ws://fake.test/realtime');
    expect([...url.searchParams]).toEqual([['apikey', ANON]]);
    ws.last().open();
    expect(client.realtime.connectionState()).toBe('open');
    expect(ws.last().frames('subscribe').map((f) => f.channel)).toEqual(['a', 'b']);
  });

  it('sends a heartbeat every 30 s, and a configured interval', async () => {
    const { client, ws, timers } = setup();
    client.channel('a').subscribe();
    await settle();
    ws.last().open();
    timers.advance(29_999);
    expect(ws.last().frames('heartbeat')).toHaveLength(0);
    timers.advance(1);
    timers.advance(60_000);
    expect(ws.last().frames('heartbeat')).toEqual([{ type: 'heartbeat' }, { type: 'heartbeat' }, { type: 'heartbeat' }]);

    const fast = setup({ heartbeatIntervalMs: 5_000 });
    fast.client.channel('a').subscribe();
    await settle();
    fast.ws.last().open();
    fast.timers.advance(10_000);
    expect(fast.ws.last().frames('heartbeat')).toHaveLength(2);
  });

  it('closes with 1000 when the last channel goes, and does not reconnect', async () => {
    const { client, ws, timers } = setup();
    const a = client.channel('a').subscribe();
    const b = client.channel('b').subscribe();
    await settle();
    const socket = ws.last();
    socket.open();
    const removed = client.removeChannel(a);
    socket.receive({ type: 'ack', channel: 'a', payload: { unsubscribed: true } });
    expect(await removed).toBe('ok');
    expect(socket.closedWith).toBeUndefined();
    expect(await client.removeAllChannels()).toEqual(['ok']);
    expect(b.state).toBe('closed');
    expect(socket.closedWith).toEqual({ code: 1000, reason: 'no channels' });
    expect(client.realtime.connectionState()).toBe('closed');
    timers.advance(120_000);
    expect(ws.sockets).toHaveLength(1);
    expect(timers.pending()).toEqual([]);
  });
});

describe('reconnect', () => {
  it('backs off 1 s doubling to 30 s while the server is unreachable', async () => {
    const { client, ws, timers } = setup();
    client.channel('a').subscribe();
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      ws.last().drop(1006);
      const pending = timers.pending();
      delays.push(Math.max(...pending.filter((ms) => ms !== 10_000)));
      timers.advance(delays[i]!);
      await settle();
      expect(ws.sockets).toHaveLength(i + 2);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('resubscribes every channel and tracks presence again; SUBSCRIBED after CHANNEL_ERROR', async () => {
    const { client, ws, timers, record, statuses } = setup();
    const got: unknown[] = [];
    const ch = client.channel('room', { config: { presence: { key: 'ann' } } })
      .on('postgres_changes', { event: '*', table: 't' }, (p) => got.push(p.new))
      .on('presence', { event: 'sync' }, () => {});
    ch.subscribe(record);
    await settle();
    let socket = ws.last();
    socket.open();
    socket.ackSubscribes((f) => `old-${String(f.messageId)}`);
    await ch.track({ online: true });
    socket.receive({ type: 'presence', channel: 'room', payload: { presence: { event: 'join', key: 'ann', newPresences: [{ online: true }], currentPresences: { ann: [{ online: true }] } } } });
    expect(ch.presenceState()).toEqual({ ann: [{ online: true }] });
    expect(statuses).toEqual(['SUBSCRIBED']);

    socket.drop(1001, 'going away');
    expect(statuses).toEqual(['SUBSCRIBED', 'CHANNEL_ERROR REALTIME_DISCONNECTED']);
    expect(ch.state).toBe('joining');
    timers.advance(1_000);
    await settle();
    socket = ws.last();
    expect(ws.sockets).toHaveLength(2);
    socket.open();
    expect(socket.sent.map((f) => [f.type, f.channel])).toEqual([['subscribe', 'room'], ['subscribe', 'room'], ['presence', 'room']]);
    expect(socket.frames('presence')[0]).toEqual({ type: 'presence', channel: 'room', payload: { event: 'track', key: 'ann', state: { online: true } } });
    socket.ackSubscribes((f) => `new-${String(f.messageId)}`);
    expect(statuses).toEqual(['SUBSCRIBED', 'CHANNEL_ERROR REALTIME_DISCONNECTED', 'SUBSCRIBED']);

    // Presence is unknown until the server tells again.
    expect(ch.presenceState()).toEqual({});

    // Events are routed by the new subscription ids only.
    const newId = `new-${String(socket.frames('subscribe')[0]?.messageId)}`;
    socket.receive({ type: 'postgres_changes', subscription_ids: ['old-x'], payload: { type: 'INSERT', schema: 'public', table: 't', record: { n: 0 } } });
    socket.receive({ type: 'postgres_changes', subscription_ids: [newId], payload: { type: 'INSERT', schema: 'public', table: 't', record: { n: 1 } } });
    expect(got).toEqual([{ n: 1 }]);
  });

  it('reports a lost connection once per outage, not once per failed attempt', async () => {
    const { client, ws, timers, record, statuses } = setup();
    client.channel('a').subscribe(record);
    await settle();
    ws.last().open();
    ws.last().ackSubscribes();
    for (const delay of [0, 1_000, 2_000, 4_000]) {
      timers.advance(delay);
      await settle();
      ws.last().drop(1006);
    }
    expect(statuses).toEqual(['SUBSCRIBED', 'CHANNEL_ERROR REALTIME_DISCONNECTED']);
  });

  it('keeps backing off after limit closes (1008/1013) even though the socket opened', async () => {
    const { client, ws, timers, record, statuses, errors } = setup();
    client.channel('a').subscribe(record);
    await settle();
    const delays: number[] = [];
    for (const code of [1008, 1013, 1008]) {
      const socket = ws.last();
      socket.open();
      socket.receive({ type: 'error', error: 'max_connections_reached', code: 'MAX_CONNECTIONS_REACHED', payload: { message: 'Connection limit reached: at most 10 connections per user' } });
      socket.drop(code, '');
      delays.push(Math.max(...timers.pending().filter((ms) => ms !== 10_000)));
      timers.advance(delays.at(-1)!);
      await settle();
    }
    expect(delays).toEqual([1_000, 2_000, 4_000]);
    expect(statuses).toEqual(['CHANNEL_ERROR MAX_CONNECTIONS_REACHED']);
    expect(errors).toEqual(['MAX_CONNECTIONS_REACHED', 'MAX_CONNECTIONS_REACHED', 'MAX_CONNECTIONS_REACHED']);
    // A connection the server accepts resets the schedule.
    ws.last().open();
    ws.last().ackSubscribes();
    ws.last().drop(1006);
    expect(timers.pending().filter((ms) => ms !== 10_000)).toEqual([1_000]);
  });

  it('gives up after maxAttempts and starts afresh on the next subscribe', async () => {
    const { client, ws, timers, errors } = setup({ reconnect: { maxAttempts: 2 } });
    client.channel('a').subscribe();
    await settle();
    ws.last().drop();
    timers.advance(1_000);
    await settle();
    ws.last().drop();
    timers.advance(2_000);
    await settle();
    ws.last().drop();
    expect(errors).toEqual(['REALTIME_DISCONNECTED']);
    timers.advance(60_000);
    expect(ws.sockets).toHaveLength(3);
    client.channel('b').subscribe();
    await settle();
    expect(ws.sockets).toHaveLength(4);
  });

  it('replaces a socket that does not open in time', async () => {
    const { client, ws, timers } = setup({ timeoutMs: 2_000 });
    client.channel('a').subscribe();
    await settle();
    timers.advance(2_000);
    expect(ws.sockets[0]?.closedWith).toBeDefined();
    timers.advance(1_000);
    await settle();
    expect(ws.sockets).toHaveLength(2);
  });

  it('replaces a connection gone silent once the server has sent heartbeats', async () => {
    const { client, ws, timers } = setup({ idleTimeoutMs: 90_000, heartbeatIntervalMs: 0 });
    client.channel('a').subscribe();
    await settle();
    const socket = ws.last();
    socket.open();
    timers.advance(200_000); // no server heartbeat yet: no idle check
    expect(ws.sockets).toHaveLength(1);
    socket.receive({ type: 'heartbeat' });
    timers.advance(60_000);
    socket.receive({ type: 'heartbeat' });
    timers.advance(89_999);
    expect(socket.closedWith).toBeUndefined();
    timers.advance(1);
    expect(socket.closedWith).toBeDefined();
    timers.advance(1_000);
    await settle();
    expect(ws.sockets).toHaveLength(2);
  });
});

describe('tokens', () => {
  it('setAuth sends access_token on the open socket and uses the token to reconnect', async () => {
    const { client, ws, timers } = setup();
    client.channel('a').subscribe();
    await settle();
    ws.last().open();
    client.realtime.setAuth('user-jwt');
    client.realtime.setAuth('user-jwt');
    expect(ws.last().frames('access_token')).toEqual([{ type: 'access_token', token: 'user-jwt' }]);
    ws.last().drop();
    timers.advance(1_000);
    await settle();
    expect(ws.last().url.searchParams.get('token')).toBe('user-jwt');
    expect(ws.last().url.searchParams.get('apikey')).toBe(ANON);
    ws.last().open();
    client.realtime.setAuth(null);
    expect(ws.last().frames('access_token')).toEqual([{ type: 'access_token', token: ANON }]);
  });

  it('client.setAuth and the auth session set the realtime token', async () => {
    const session = makeSession();
    const refreshed = makeSession();
    const server = fakeServer({
      'POST /api/v1/auth/signin': () => ({ body: session }),
      'POST /api/v1/auth/refresh': () => ({ body: refreshed }),
      'POST /api/v1/auth/signout': () => ({ status: 204 }),
    });
    const { client, ws } = setup({}, server);
    await client.auth.signInWithPassword({ email: 'ann@example.com', password: 'pw' });
    client.channel('a').subscribe();
    await settle();
    expect(ws.last().url.searchParams.get('token')).toBe(session.access_token);
    ws.last().open();
    await client.auth.refreshSession();
    await client.auth.signOut();
    client.setAuth('manual');
    client.setAuth(null);
    expect(ws.last().frames('access_token').map((f) => f.token)).toEqual([refreshed.access_token, ANON, 'manual', ANON]);
  });

  it('connects with a refreshed token when the session is due', async () => {
    const stale = makeSession({ expiresIn: -10 }); // already expired
    const fresh = makeSession();
    const server = fakeServer({ 'POST /api/v1/auth/signin': () => ({ body: stale }), 'POST /api/v1/auth/refresh': () => ({ body: fresh }) });
    const { client, ws } = setup({}, server);
    await client.auth.signInWithPassword({ email: 'ann@example.com', password: 'pw' });
    expect(server.count('POST /api/v1/auth/refresh')).toBe(0);
    client.channel('a').subscribe();
    await settle();
    expect(server.count('POST /api/v1/auth/refresh')).toBe(1);
    expect(ws.last().url.searchParams.get('token')).toBe(fresh.access_token);
  });

  // As the server sends it when a connection's token expires: no channel, the ended subscriptions listed.
  const expiredNotice = (ids: string[]) => ({ type: 'error', error: 'expired_token', code: 'EXPIRED_TOKEN', payload: { message: 'The access token expired', subscription_ids: ids } });
  const tokenAck = { type: 'ack', payload: { type: 'access_token', updated: true } };

  it('EXPIRED_TOKEN: refreshes the session, sends the new token and resubscribes once the server took it', async () => {
    const first = makeSession();
    const second = makeSession();
    const server = fakeServer({ 'POST /api/v1/auth/signin': () => ({ body: first }), 'POST /api/v1/auth/refresh': () => ({ body: second }) });
    const { client, ws, record, statuses } = setup({}, server);
    await client.auth.signInWithPassword({ email: 'ann@example.com', password: 'pw' });
    client.channel('db').on('postgres_changes', { event: '*', table: 't' }, () => {}).subscribe(record);
    client.channel('chat').subscribe();
    await settle();
    const socket = ws.last();
    socket.open();
    socket.ackSubscribes();
    expect(socket.frames('subscribe')).toHaveLength(2);

    socket.receive(expiredNotice([`sub-${String(socket.frames('subscribe')[0]?.messageId)}`]));
    socket.receive(expiredNotice([]));
    await settle();
    expect(server.count('POST /api/v1/auth/refresh')).toBe(1);
    expect(socket.frames('access_token')).toEqual([{ type: 'access_token', token: second.access_token, messageId: expect.any(String) }]);
    expect(socket.frames('subscribe')).toHaveLength(2);
    socket.receive(tokenAck);
    await settle();
    expect(socket.frames('subscribe').slice(2).map((f) => f.channel)).toEqual(['db']);
    socket.ackSubscribes();
    expect(statuses).toEqual(['SUBSCRIBED', 'SUBSCRIBED']);
  });

  it('EXPIRED_TOKEN without a session to refresh: CHANNEL_ERROR until setAuth brings a token the server accepts', async () => {
    const { client, ws, record, statuses, errors } = setup();
    client.realtime.setAuth('short-lived');
    client.channel('db').on('postgres_changes', { event: '*', table: 't' }, () => {}).subscribe(record);
    await settle();
    const socket = ws.last();
    socket.open();
    socket.ackSubscribes();
    socket.receive(expiredNotice(['x']));
    await settle();
    expect(statuses).toEqual(['SUBSCRIBED', 'CHANNEL_ERROR EXPIRED_TOKEN']);
    expect(errors).toEqual(['EXPIRED_TOKEN']);

    client.realtime.setAuth('bad');
    socket.receive({ type: 'error', error: 'invalid_token', code: 'INVALID_TOKEN', payload: { message: 'The token was not accepted; the connection keeps its identity' } });
    await settle();
    expect(errors).toEqual(['EXPIRED_TOKEN', 'INVALID_TOKEN']);
    expect(socket.frames('subscribe')).toHaveLength(1);

    client.realtime.setAuth('renewed');
    socket.receive(tokenAck);
    await settle();
    expect(socket.sent.slice(-2).map((f) => f.type)).toEqual(['access_token', 'subscribe']);
    socket.ackSubscribes();
    expect(statuses).toEqual(['SUBSCRIBED', 'CHANNEL_ERROR EXPIRED_TOKEN', 'CHANNEL_ERROR INVALID_TOKEN', 'SUBSCRIBED']);
  });

  it('a subscribe refused with EXPIRED_TOKEN renews the token and subscribes again', async () => {
    const first = makeSession();
    const second = makeSession();
    const server = fakeServer({ 'POST /api/v1/auth/signin': () => ({ body: first }), 'POST /api/v1/auth/refresh': () => ({ body: second }) });
    const { client, ws, record, statuses } = setup({}, server);
    await client.auth.signInWithPassword({ email: 'ann@example.com', password: 'pw' });
    client.channel('chat').subscribe(record);
    await settle();
    const socket = ws.last();
    socket.open();
    const join = socket.frames('subscribe')[0];
    socket.receive({ type: 'error', error: 'expired_token', code: 'EXPIRED_TOKEN', channel: 'chat', messageId: join?.messageId, payload: { message: 'expired' } });
    await settle();
    socket.receive(tokenAck);
    await settle();
    expect(socket.frames('subscribe')).toHaveLength(2);
    socket.ackSubscribes();
    expect(statuses).toEqual(['SUBSCRIBED']);
  });
});

describe('without a WebSocket implementation', () => {
  it('reports CHANNEL_ERROR REALTIME_UNAVAILABLE and does not retry', async () => {
    vi.stubGlobal('WebSocket', undefined);
    const timers = new ManualTimers();
    const client = createClient(BASE, ANON, { fetch: fakeServer().fetch, auth: { persistSession: false }, realtime: { timers } });
    const got: string[] = [];
    client.channel('a').subscribe((s, e) => got.push(`${s} ${e?.code ?? ''}`));
    await settle();
    expect(got).toEqual(['CHANNEL_ERROR REALTIME_UNAVAILABLE']);
    expect(timers.pending()).toEqual([]);
  });

  it('uses the global WebSocket when none is passed', async () => {
    const ws = fakeWebSocket();
    vi.stubGlobal('WebSocket', ws.WebSocket);
    const client = createClient('https://api.example.com', ANON, { fetch: fakeServer().fetch, auth: { persistSession: false }, realtime: { timers: new ManualTimers() } });
    client.channel('a').subscribe();
    await settle();
    expect(ws.last().url.origin).toBe('wss://api.example.com');
  });
});
