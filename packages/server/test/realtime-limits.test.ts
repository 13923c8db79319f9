// Realtime limits and hostile clients (docs/realtime.md "Limits"): connection limits per
// user, per IP and per instance (hardening item 1.5); a bounded send queue per connection
// that drops and counts (2.3); a client that stops reading is closed with 1008 and never
// delays the others (2.8); pings and the pong timeout; token expiry and access_token; and
// each kind of bad frame answered with an error frame or the documented close.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from '../src/http/index.ts';
import { call, signUp } from './harness/auth.ts';
import { createTestDatabase, startTestApp, TEST_JWT_SECRET, type TestApp, type TestDatabase } from './harness/index.ts';
import { enableRealtime, RtClient } from './harness/realtime.ts';

const U = '33333333-3333-4333-8333-333333333333';
const V = '44444444-4444-4444-8444-444444444444';
const W = '55555555-5555-4555-8555-555555555555';

let db: TestDatabase;
let sql: postgres.Sql;
let limited: TestApp; // tiny connection limits
let app: TestApp; // small queues, an injected clock
let offset = 0; // ms added to the wall clock of `app`
const clients: RtClient[] = [];

async function connect(target: TestApp, query = '', options = {}): Promise<RtClient> {
  const c = await RtClient.connect(target.url, query, {}, options);
  clients.push(c);
  return c;
}

async function metric(target: TestApp, line: string): Promise<number> {
  const text = await (await target.fetch('/metrics')).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.split(' ')[1]) : 0;
}

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 2, onnotice: () => {} });
  await sql.unsafe(`
    create table public.ticks (id int primary key, n int, secret text);
    create table public.quiet (id int primary key);
    grant select, insert, update, delete on all tables in schema public to anon, authenticated, service_role;
  `);
  limited = await startTestApp(db.url, { overrides: { realtime: { max_connections: 6, max_connections_per_user: 2, max_connections_per_ip: 3, notification_queue_size: 5, notification_workers: 1 } } });
  app = await startTestApp(db.url, {
    clock: () => Date.now() + offset,
    overrides: { realtime: { client_message_queue_size: 16, slow_client_threshold: 8, max_connections_per_ip: 100 } },
  });
  for (const target of [limited, app]) await target.server.schema.reload();
  await enableRealtime(app, 'ticks', { exclude: ['secret'] });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await limited?.close();
  await app?.close();
  await sql?.end();
  await db?.drop();
});

describe('connection limits (hardening 1.5)', () => {
  const refused = async (c: RtClient, code: number, mention: string) => {
    const f = await c.next((x) => x.type === 'error');
    expect(f).toMatchObject({ error: 'max_connections_reached', code: 'MAX_CONNECTIONS_REACHED' });
    expect(f.payload.message).toContain(mention);
    await c.closed();
    expect(c.closeCode).toBe(code);
  };

  it('allows 2 per user, 3 anonymous per IP, 6 per instance; the next gets an error frame and 1008 or 1013', async () => {
    const u1 = await connect(limited, `?token=${limited.userToken(U)}`);
    await connect(limited, `?token=${limited.userToken(U)}`);
    await refused(await connect(limited, `?token=${limited.userToken(U)}`), 1008, 'per user');
    const anon = [await connect(limited), await connect(limited), await connect(limited, `?apikey=${limited.keys.anon}`)];
    await refused(await connect(limited), 1008, 'per IP');
    const v = await connect(limited, `?token=${limited.userToken(V)}`);
    // 6 open: the instance is full, even for a user with no connection yet.
    await refused(await connect(limited, `?token=${limited.userToken(W)}`), 1013, 'at most 6 connections');
    expect(await metric(limited, 'fluxbase_realtime_connection_rejections_total{reason="user"}')).toBe(1);
    expect(await metric(limited, 'fluxbase_realtime_connection_rejections_total{reason="ip"}')).toBe(1);
    expect(await metric(limited, 'fluxbase_realtime_connection_rejections_total{reason="instance"}')).toBe(1);
    // A closed connection frees its slot.
    await u1.close();
    const again = await connect(limited, `?token=${limited.userToken(U)}`);
    expect((await again.request({ type: 'subscribe', channel: 'lobby' })).type).toBe('ack');
    await Promise.all([...anon, again, v].map((c) => c.close()));
  });

  it('refuses a stored key without realtime:connect before the upgrade (403)', async () => {
    const res = await limited.fetch('/api/v1/admin/service-keys', {
      method: 'POST', headers: { authorization: `Bearer ${limited.keys.service_role}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'tables only', scopes: ['read:tables'] }),
    });
    expect(res.status).toBe(201);
    const { key } = await res.json() as { key: string };
    const err = await RtClient.connect(limited.url, `?token=${key}`).catch((e: { status: number; body: string }) => e);
    expect((err as { status: number }).status).toBe(403);
    expect(JSON.parse((err as { body: string }).body)).toMatchObject({ code: 'INSUFFICIENT_PERMISSIONS', details: { required_scope: 'realtime:connect' } });
  });
});

describe('notification queue (hardening 2.2)', () => {
  it('drops changes beyond realtime.notification_queue_size, counts them and tells clients to refetch', async () => {
    const c = await connect(limited, `?token=${limited.keys.service_role}`);
    let ack = await c.request({ type: 'subscribe', channel: 'burst', config: { table: 'ticks' } });
    // The registry notification may still be on its way to this instance.
    for (let i = 0; i < 100 && ack.type !== 'ack'; i++) ack = await c.request({ type: 'subscribe', channel: 'burst', config: { table: 'ticks' } });
    expect(ack.type).toBe('ack');
    await sql`insert into public.ticks select g, g, 's' from generate_series(1000, 1499) g`;
    const notice = await c.next((f) => f.type === 'system');
    expect(notice.payload).toMatchObject({ event: 'changes_dropped', since: expect.stringMatching(/^\d{4}-/) });
    await limited.server.app.realtime.drained();
    expect(await metric(limited, 'fluxbase_realtime_dropped_messages_total{reason="notification_queue_full"}')).toBeGreaterThan(0);
    expect(c.all('postgres_changes').length).toBeLessThan(500);
    expect((await c.request({ type: 'subscribe', channel: 'after-burst' })).type).toBe('ack');
    await c.close();
  });
});

describe('slow clients (hardening 2.3, 2.8)', () => {
  it('drops what a stalled client cannot take, delivers everything to the others, then closes the stalled one with 1008', async () => {
    const slow = await connect(app, `?token=${app.keys.service_role}`);
    const fast = await connect(app, `?token=${app.keys.service_role}`);
    for (const c of [slow, fast]) expect((await c.request({ type: 'subscribe', channel: 'firehose' })).type).toBe('ack');
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const droppedBefore = await metric(app, 'fluxbase_realtime_dropped_messages_total{reason="client_queue_full"}');
    const payload = { blob: 'z'.repeat(32 * 1024) };
    const total = 400; // 12.8 MB: more than the socket buffers hold, so the stalled queue fills
    for (let i = 0; i < total; i++) {
      const res = await app.fetch('/api/v1/realtime/broadcast', {
        method: 'POST', headers: { authorization: `Bearer ${app.keys.service_role}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'firehose', event: 'tick', payload: { i, ...payload } }),
      });
      expect(res.status).toBe(200);
    }
    await fast.next(() => fast.all('broadcast').length === total, 60_000);
    expect(fast.all('broadcast').map((f) => f.payload.broadcast.payload.i)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(await metric(app, 'fluxbase_realtime_dropped_messages_total{reason="client_queue_full"}')).toBeGreaterThan(droppedBefore);
    // The sweep marks it slow, and closes it once it stayed slow for slow_client_timeout (30 s on the injected clock).
    app.server.app.realtime.sweep();
    expect(slow.closeCode).toBeUndefined();
    offset += 31_000;
    app.server.app.realtime.sweep();
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await slow.closed();
    expect(slow.closeCode).toBe(1008);
    expect(slow.closeReason).toBe('Connection too slow');
    expect(await metric(app, 'fluxbase_realtime_slow_clients_disconnected_total')).toBe(1);
    // The fast client is untouched.
    expect((await fast.request({ type: 'subscribe', channel: 'after' })).type).toBe('ack');
  }, 120_000);
});

describe('pings', () => {
  it('closes a client that never answers pings once pong_timeout passed, and keeps one that does', async () => {
    let skew = 0;
    const pinger = await startTestApp(db.url, { clock: () => Date.now() + skew, overrides: { realtime: { ping_interval: '50ms', pong_timeout: '60s' } } });
    try {
      const silent = await RtClient.connect(pinger.url, '', {}, { autoPong: false });
      // Wait until the server has pinged the silent client at least once (it records the time of that ping).
      await new Promise<void>((resolve) => silent.ws.once('ping', () => resolve()));
      skew += 61_000;
      await silent.closed();
      expect(silent.closeCode).toBe(1006); // terminated: no close frame for a peer that is gone
      const alive = await RtClient.connect(pinger.url);
      await new Promise<void>((resolve) => alive.ws.once('ping', () => resolve()));
      expect((await alive.request({ type: 'subscribe', channel: 'still-here' })).type).toBe('ack');
      await alive.close();
    } finally {
      await pinger.close();
    }
  });
});

describe('tokens', () => {
  it('ends the subscriptions of an expired token with expired_token and resumes after access_token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const c = await connect(app, `?token=${app.userToken(U, { exp: now + 60 })}`);
    const sub = await c.subscribe('ticks');
    offset += 120_000;
    app.server.app.realtime.sweep();
    const expired = await c.next((f) => f.type === 'error');
    expect(expired).toMatchObject({ code: 'EXPIRED_TOKEN', error: 'expired_token', payload: { subscription_ids: [sub] } });
    const refused = await c.request({ type: 'subscribe', channel: 'x', config: { table: 'ticks' } });
    expect(refused.code).toBe('EXPIRED_TOKEN');
    const ack = await c.request({ type: 'access_token', token: app.userToken(U, { exp: now + 3600 }) });
    expect(ack.payload).toEqual({ type: 'access_token', updated: true });
    await c.subscribe('ticks');
    await sql`insert into public.ticks values (1, 1, 's')`;
    expect((await c.next((f) => f.type === 'postgres_changes')).payload.record).toEqual({ id: 1, n: 1 });
  });

  it('ends the subscriptions of a connection whose session was signed out (token_revoked)', async () => {
    const session = await signUp(app);
    const c = await connect(app, `?token=${session.access_token as string}`);
    const sub = await c.subscribe('ticks', {}, 'revoked');
    await app.server.app.realtime.revalidateIdentities();
    expect(c.all('error')).toHaveLength(0); // still valid: nothing happens
    expect((await call(app, 'POST', '/api/v1/auth/signout', {}, session.access_token as string)).status).toBeLessThan(300);
    await app.server.app.realtime.revalidateIdentities();
    const ended = await c.next((f) => f.type === 'error');
    expect(ended).toMatchObject({ code: 'TOKEN_REVOKED', error: 'token_revoked', payload: { subscription_ids: [sub] } });
    expect((await c.request({ type: 'subscribe', channel: 'x', config: { table: 'ticks' } })).code).toBe('EXPIRED_TOKEN');
  });

  it('keeps the old identity when access_token is forged, expired or missing', async () => {
    const c = await connect(app, `?token=${app.userToken(V)}`);
    await c.subscribe('ticks');
    const now = Math.floor(Date.now() / 1000);
    const forged = signJwt({ sub: U, role: 'authenticated', exp: now + 900 }, 'not-the-secret-0123456789abcdef0123456789');
    expect(await c.request({ type: 'access_token', token: forged })).toMatchObject({ type: 'error', code: 'INVALID_TOKEN' });
    const old = signJwt({ sub: U, role: 'authenticated', iat: now - 7200, exp: now - 3600 }, TEST_JWT_SECRET);
    expect(await c.request({ type: 'access_token', token: old })).toMatchObject({ type: 'error', code: 'EXPIRED_TOKEN' });
    expect(await c.request({ type: 'access_token' })).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' });
    await sql`insert into public.ticks values (2, 2, 's')`;
    expect((await c.next((f) => f.type === 'postgres_changes')).payload.record.id).toBe(2);
  });
});

describe('bad input', () => {
  let c: RtClient;
  beforeAll(async () => {
    c = await connect(app, `?token=${app.userToken(U)}`);
  });
  const expectError = async (frame: unknown, code: string) => {
    c.send(frame);
    const f = await c.next((x) => x.type === 'error' || x.type === 'ack');
    expect(f, JSON.stringify(frame).slice(0, 200)).toMatchObject({ type: 'error', code, error: code.toLowerCase() });
    expect(f.payload.message).toEqual(expect.any(String));
    return f;
  };

  it.each([
    ['not JSON', '{"type": "subscribe"', 'INVALID_MESSAGE'],
    ['a JSON array', '[1,2]', 'INVALID_MESSAGE'],
    ['null', 'null', 'INVALID_MESSAGE'],
    ['no type', '{"channel":"a"}', 'INVALID_MESSAGE'],
    ['a numeric type', '{"type":5}', 'INVALID_MESSAGE'],
    ['an unknown type', '{"type":"teleport"}', 'UNKNOWN_MESSAGE_TYPE'],
    ['a numeric channel', '{"type":"subscribe","channel":7}', 'INVALID_MESSAGE'],
    ['an empty channel', '{"type":"subscribe","channel":""}', 'INVALID_MESSAGE'],
    ['a channel starting with a space', '{"type":"subscribe","channel":" x"}', 'INVALID_MESSAGE'],
    ['a channel with a control character', '{"type":"subscribe","channel":"a\\u0000b"}', 'INVALID_MESSAGE'],
    ['a 300-character channel', JSON.stringify({ type: 'subscribe', channel: 'c'.repeat(300) }), 'INVALID_MESSAGE'],
    ['subscribe without channel or table', '{"type":"subscribe"}', 'INVALID_MESSAGE'],
    ['an unknown table', '{"type":"subscribe","channel":"a","config":{"table":"nope"}}', 'TABLE_NOT_ENABLED'],
    ['a table not enabled', '{"type":"subscribe","channel":"a","config":{"table":"quiet"}}', 'TABLE_NOT_ENABLED'],
    ['an internal table', '{"type":"subscribe","channel":"a","config":{"schema":"auth","table":"users"}}', 'TABLE_NOT_ENABLED'],
    ['an unknown event', '{"type":"subscribe","channel":"a","config":{"table":"ticks","event":"TRUNCATE"}}', 'INVALID_MESSAGE'],
    ['a filter without operator', '{"type":"subscribe","channel":"a","config":{"table":"ticks","filter":"n"}}', 'INVALID_FILTER'],
    ['an unknown operator', '{"type":"subscribe","channel":"a","config":{"table":"ticks","filter":"n=bogus.1"}}', 'INVALID_FILTER'],
    ['an unknown column', '{"type":"subscribe","channel":"a","config":{"table":"ticks","filter":"nn=eq.1"}}', 'INVALID_FILTER'],
    ['an excluded column', '{"type":"subscribe","channel":"a","config":{"table":"ticks","filter":"secret=eq.x"}}', 'INVALID_FILTER'],
    ['a value of the wrong type', '{"type":"subscribe","channel":"a","config":{"table":"ticks","filter":"n=eq.abc"}}', 'INVALID_FILTER'],
    ['a select in the filter', '{"type":"subscribe","channel":"a","config":{"table":"ticks","filter":"select=id"}}', 'INVALID_FILTER'],
    ['an admin channel', '{"type":"subscribe","channel":"realtime:admin:connections"}', 'ADMIN_REQUIRED'],
    ['broadcast without channel', '{"type":"broadcast","event":"x","payload":{}}', 'INVALID_MESSAGE'],
    ['presence without event', '{"type":"presence","channel":"p","payload":{"key":"k"}}', 'INVALID_MESSAGE'],
    ['presence with a numeric key', '{"type":"presence","channel":"p","payload":{"event":"track","key":5}}', 'INVALID_MESSAGE'],
    ['access_token without token', '{"type":"access_token"}', 'INVALID_MESSAGE'],
    ['a string where config belongs', '{"type":"subscribe","channel":"a","config":"ticks"}', 'INVALID_MESSAGE'],
  ])('%s → %s, and the connection stays', async (_name, frame, code) => {
    await expectError(frame, code);
    expect((await c.request({ type: 'subscribe', channel: 'still-open' })).type).toBe('ack');
  });

  it('answers a binary frame with invalid_message', async () => {
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await c.next((x) => x.type === 'error')).code).toBe('INVALID_MESSAGE');
  });

  it('answers 1,000 subscribe frames with 100 acks and too_many_subscriptions, and other connections stay healthy', async () => {
    const greedy = await connect(app, `?token=${app.keys.service_role}`);
    for (let i = 0; i < 1000; i++) greedy.send({ type: 'subscribe', channel: `g${i}`, config: { table: 'ticks', filter: `n=eq.${i}` } });
    await greedy.next(() => greedy.frames.length >= 1000, 30_000);
    expect(greedy.all('ack')).toHaveLength(100);
    expect(greedy.all('error')).toHaveLength(900);
    expect(greedy.all('error').every((f) => f.code === 'TOO_MANY_SUBSCRIPTIONS')).toBe(true);
    const other = await connect(app, `?token=${app.keys.service_role}`);
    await other.subscribe('ticks');
    await sql`insert into public.ticks values (42, 42, 's')`;
    expect((await other.next((f) => f.type === 'postgres_changes')).payload.record.id).toBe(42);
    expect((await greedy.next((f) => f.type === 'postgres_changes')).subscription_ids).toHaveLength(1);
    expect((await app.fetch('/health')).status).toBe(200);
  }, 60_000);

  it('answers an oversized frame with message_too_large and closes with 1009', async () => {
    const big = await connect(app);
    big.send({ type: 'broadcast', channel: 'x', event: 'e', payload: 'y'.repeat(70 * 1024) });
    expect((await big.next((x) => x.type === 'error')).code).toBe('MESSAGE_TOO_LARGE');
    await big.closed();
    expect(big.closeCode).toBe(1009);
  });
});
