// Broadcast and presence (docs/realtime.md "Broadcast" and "Presence"): pure listeners join by
// subscribing; `self` and acks; presence join/leave/sync diffs and leave on disconnect; the
// REST broadcast and stats routes; and two app instances on one database, through
// PostgreSQL NOTIFY (the default) and through Redis pub/sub when redis.url is set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';
import { RtClient } from './harness/realtime.ts';
import { redisMissing, startRedis, type TestRedis } from './harness/redis.ts';

const U = '66666666-6666-4666-8666-666666666666';
let db: TestDatabase;
const clients: RtClient[] = [];

async function connect(app: TestApp, query = `?token=${app.keys.service_role}`): Promise<RtClient> {
  const c = await RtClient.connect(app.url, query);
  clients.push(c);
  return c;
}

async function join(c: RtClient, channel: string, config: Record<string, unknown> = {}): Promise<void> {
  const f = await c.request({ type: 'subscribe', channel, config });
  expect(f).toMatchObject({ type: 'ack', channel, payload: { subscribed: true, channel } });
}

function restBroadcast(app: TestApp, body: unknown, token = app.keys.service_role): Promise<Response> {
  return app.fetch('/api/v1/realtime/broadcast', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

beforeAll(async () => {
  db = await createTestDatabase();
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await db?.drop();
});

/** The same behaviour on one instance and across two; `pair` gives the instances to use. */
function behaviour(name: string, pair: () => [TestApp, TestApp]) {
  describe(name, () => {
    it('delivers a broadcast to listeners that only subscribed, not to the sender unless self, with an ack for messageId', async () => {
      const [a, b] = pair();
      const sender = await connect(a);
      const listener = await connect(b);
      const selfish = await connect(a);
      await join(listener, `${name}:room`);
      await join(selfish, `${name}:room`, { broadcast: { self: true } });
      await join(sender, `${name}:room`);
      sender.send({ type: 'broadcast', channel: `${name}:room`, event: 'msg', payload: { text: 'hi' }, messageId: 'm1' });
      const ack = await sender.next((f) => f.type === 'ack' && f.messageId === 'm1');
      expect(ack).toMatchObject({ status: 'ok', payload: { messageId: 'm1', status: 'ok' } });
      const got = await listener.next((f) => f.type === 'broadcast');
      expect(got).toEqual({ type: 'broadcast', channel: `${name}:room`, event: 'msg', payload: { broadcast: { event: 'msg', payload: { text: 'hi' } } } });
      expect((await selfish.next((f) => f.type === 'broadcast')).payload.broadcast.payload).toEqual({ text: 'hi' });
      selfish.send({ type: 'broadcast', channel: `${name}:room`, event: 'mine', payload: 1 });
      expect((await selfish.next((f) => f.type === 'broadcast')).payload.broadcast).toEqual({ event: 'mine', payload: 1, self: true });
      await listener.next((f) => f.type === 'broadcast' && f.event === 'mine');
      await sender.next((f) => f.type === 'broadcast' && f.event === 'mine');
      expect(sender.all('broadcast').map((f) => f.event)).toEqual(['mine']); // never its own message
    });

    it('broadcasts from the REST API to every instance', async () => {
      const [a, b] = pair();
      const l1 = await connect(a);
      const l2 = await connect(b);
      await join(l1, `${name}:news`);
      await join(l2, `${name}:news`);
      const res = await restBroadcast(a, { channel: `${name}:news`, event: 'headline', payload: { n: 1 } });
      expect(res.status).toBe(200);
      // recipients counts this instance's members only: both listeners here, or one of the two.
      expect(await res.json()).toMatchObject({ success: true, channel: `${name}:news`, recipients: a === b ? 2 : 1 });
      for (const l of [l1, l2]) expect((await l.next((f) => f.type === 'broadcast')).payload.broadcast).toEqual({ event: 'headline', payload: { n: 1 } });
      const legacy = await restBroadcast(b, { channel: `${name}:news`, message: 'plain' });
      expect(legacy.status).toBe(200);
      expect((await l1.next((f) => f.type === 'broadcast')).payload.broadcast).toEqual({ event: 'broadcast', payload: 'plain' });
    });

    it('keeps presence: join with the current state, sync on re-track, leave on untrack and on disconnect', async () => {
      const [a, b] = pair();
      const alice = await connect(a, `?token=${a.userToken(U)}`);
      const bob = await connect(b);
      const channel = `${name}:lobby`;
      await join(bob, channel);
      alice.send({ type: 'presence', channel, payload: { event: 'track', key: 'alice', state: { online_at: 1 } } });
      const joined = await bob.next((f) => f.type === 'presence' && f.payload.presence.event === 'join');
      expect(joined.payload.presence).toEqual({ event: 'join', key: 'alice', newPresences: [{ online_at: 1 }], currentPresences: { alice: [{ online_at: 1 }] } });
      // The SDK's form: event at the top level.
      bob.send({ type: 'presence', channel, event: 'track', payload: { key: 'bob', state: { online_at: 2 } } });
      const both = await alice.next((f) => f.type === 'presence' && f.payload.presence.key === 'bob');
      expect(both.payload.presence.currentPresences).toEqual({ alice: [{ online_at: 1 }], bob: [{ online_at: 2 }] });
      alice.send({ type: 'presence', channel, payload: { event: 'track', key: 'alice', state: { online_at: 3 } } });
      const sync = await bob.next((f) => f.type === 'presence' && f.payload.presence.event === 'sync');
      expect(sync.payload.presence.currentPresences.alice).toEqual([{ online_at: 3 }]);
      bob.send({ type: 'presence', channel, payload: { event: 'untrack' } });
      const left = await alice.next((f) => f.type === 'presence' && f.payload.presence.event === 'leave');
      expect(left.payload.presence).toMatchObject({ key: 'bob', leftPresences: [{ online_at: 2 }], currentPresences: { alice: [{ online_at: 3 }] } });
      await alice.close();
      const gone = await bob.next((f) => f.type === 'presence' && f.payload.presence.event === 'leave' && f.payload.presence.key === 'alice');
      expect(gone.payload.presence.currentPresences).toEqual({});
    });

    it('tells a late joiner who is present', async () => {
      const [a, b] = pair();
      const channel = `${name}:late`;
      const early = await connect(a);
      early.send({ type: 'presence', channel, payload: { event: 'track', key: 'early', state: { x: 1 } } });
      await early.next((f) => f.type === 'presence');
      const late = await connect(b);
      await join(late, channel);
      const state = await late.next((f) => f.type === 'presence' && f.payload.presence.currentPresences.early !== undefined);
      expect(state.payload.presence.currentPresences).toEqual({ early: [{ x: 1 }] });
    });
  });
}

describe('one instance', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(db.url);
  }, 60_000);
  afterAll(async () => app?.close());
  behaviour('single', () => [app, app]);

  it('refuses REST broadcasts without the service role or the realtime:broadcast scope', async () => {
    expect((await restBroadcast(app, { channel: 'x' }, app.keys.anon)).status).toBe(401);
    const user = await restBroadcast(app, { channel: 'x' }, app.userToken(U));
    expect(user.status).toBe(403);
    expect((await user.json() as { code: string }).code).toBe('INSUFFICIENT_PERMISSIONS');
    const bad = await restBroadcast(app, { event: 'x' });
    expect(bad.status).toBe(400);
    expect((await restBroadcast(app, { channel: 'a\u0001b' })).status).toBe(400);
    expect((await restBroadcast(app, { channel: 'x', extra: 1 })).status).toBe(400);
  });

  it('lists connections in /api/v1/realtime/stats for admins only', async () => {
    const c = await connect(app, `?token=${app.userToken(U, { email: 'u@example.com' })}`);
    await join(c, 'stats');
    const res = await app.fetch('/api/v1/realtime/stats?limit=100', { headers: { authorization: `Bearer ${app.keys.service_role}` } });
    expect(res.status).toBe(200);
    const body = await res.json() as { total_connections: number; connections: { user_id: string; email: string; connected_at: string }[]; limit: number; offset: number };
    expect(body.limit).toBe(100);
    const mine = body.connections.find((x) => x.user_id === U);
    expect(mine).toMatchObject({ email: 'u@example.com', connected_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect((await app.fetch('/api/v1/realtime/stats', { headers: { authorization: `Bearer ${app.userToken(U)}` } })).status).toBe(403);
    expect((await app.fetch('/api/v1/realtime/stats?limit=1000', { headers: { authorization: `Bearer ${app.keys.service_role}` } })).status).toBe(400);
  });
});

describe('two instances on one database (PostgreSQL NOTIFY)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await Promise.all([startTestApp(db.url), startTestApp(db.url)]);
  }, 60_000);
  afterAll(async () => Promise.all([a?.close(), b?.close()]));
  behaviour('pg', () => [a, b]);

  it('carries a broadcast over NOTIFY\'s 8000-byte limit', async () => {
    const l = await connect(b);
    await join(l, 'pg:big');
    const res = await restBroadcast(a, { channel: 'pg:big', event: 'big', payload: { blob: 'q'.repeat(20_000) } });
    expect(res.status).toBe(200);
    expect((await l.next((f) => f.type === 'broadcast')).payload.broadcast.payload.blob).toHaveLength(20_000);
  });

  it('removes the presence of an instance that stops', async () => {
    const c = await startTestApp(db.url);
    const watcher = await connect(a);
    await join(watcher, 'pg:leaving');
    const member = await RtClient.connect(c.url, `?token=${c.keys.service_role}`);
    member.send({ type: 'presence', channel: 'pg:leaving', payload: { event: 'track', key: 'temp', state: {} } });
    await watcher.next((f) => f.type === 'presence' && f.payload.presence.event === 'join');
    await c.close();
    const left = await watcher.next((f) => f.type === 'presence' && f.payload.presence.event === 'leave');
    expect(left.payload.presence).toMatchObject({ key: 'temp', currentPresences: {} });
  });
});

describe.skipIf(redisMissing !== undefined)(`two instances on one database (Redis pub/sub)${redisMissing ? ` (${redisMissing})` : ''}`, () => {
  let redis: TestRedis;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    redis = await startRedis();
    const overrides = { redis: { url: redis.url } };
    [a, b] = await Promise.all([startTestApp(db.url, { overrides }), startTestApp(db.url, { overrides })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.close();
  });
  behaviour('redis', () => [a, b]);
});
