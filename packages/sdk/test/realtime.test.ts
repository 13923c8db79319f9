// client.channel() against the real server over the `ws` package (docs/realtime.md "Protocol"; Node 20 has
// no global WebSocket): INSERT/UPDATE/DELETE under RLS, filters and the routing of one
// change to several listeners, broadcast with self and ack, presence between two clients,
// setAuth and the auth session's token, reconnect after the socket is cut, the per-user
// connection limit (close 1008), the shutdown notice, and two server instances on one
// database. Nothing is stubbed: every client talks to a started server.
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../server/test/harness/auth.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../../server/test/harness/index.ts';
import { startTcpProxy, type TcpProxy } from '../../server/test/harness/tcp-proxy.ts';
import {
  createClient, type ClientOptions, type FluxbaseClient, type RealtimeBroadcastPayload, type RealtimeChannel,
  type RealtimeChannelStatus, type RealtimePostgresChangesPayload, type RealtimeSystemPayload,
} from '../src/index.ts';

const PASSWORD = 'correct horse battery staple';

interface Message { id: number; room: string; body: string; owner: string }

/** Callback payloads in arrival order, with a wait for the next one that matches. */
class Inbox<T> {
  readonly items: T[] = [];
  private taken = 0;
  readonly push = (item: T): void => { this.items.push(item); };

  async next(match: (item: T) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.taken < this.items.length) {
        const item = this.items[this.taken++]!;
        if (match(item)) return item;
      }
      if (Date.now() > deadline) throw new Error(`nothing matching arrived within ${timeoutMs} ms; got ${JSON.stringify(this.items.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('realtime (client.channel) against the real server', () => {
  let db: TestDatabase;
  /** Two instances on one database. */
  let app: TestApp;
  let app2: TestApp;
  const clients: FluxbaseClient[] = [];
  let ann: { email: string; token: string; id: string };
  let bob: { email: string; token: string; id: string };
  let serial = 0;

  const realtimeOptions: NonNullable<ClientOptions['realtime']> = { WebSocket, timeoutMs: 5_000, reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 } };

  function client(target: TestApp | string = app, key = app.keys.anon): FluxbaseClient {
    const url = typeof target === 'string' ? target : target.url;
    const c = createClient(url, key, { auth: { persistSession: false }, realtime: realtimeOptions });
    clients.push(c);
    return c;
  }

  async function signedIn(who: { email: string }, target: TestApp | string = app): Promise<FluxbaseClient> {
    const c = client(target);
    const { error } = await c.auth.signInWithPassword({ email: who.email, password: PASSWORD });
    if (error) throw error;
    return c;
  }

  /** Subscribe and resolve on SUBSCRIBED; reject on CHANNEL_ERROR or TIMED_OUT. Later statuses go to `statuses`. */
  function subscribed(channel: RealtimeChannel, statuses: string[] = []): Promise<RealtimeChannel> {
    return new Promise((resolve, reject) => {
      channel.subscribe((status: RealtimeChannelStatus, error) => {
        statuses.push(error ? `${status} ${error.code}` : status);
        if (status === 'SUBSCRIBED') resolve(channel);
        else if (status !== 'CLOSED') reject(new Error(`${status}: ${error?.code ?? ''} ${error?.message ?? ''}`));
      });
    });
  }

  function changes(c: FluxbaseClient, name: string, filter: { event?: 'INSERT' | 'UPDATE' | 'DELETE' | '*'; filter?: string } = {}) {
    const inbox = new Inbox<RealtimePostgresChangesPayload<Message>>();
    const channel = c.channel(name).on<Message>('postgres_changes', { event: filter.event ?? '*', table: 'messages', ...(filter.filter ? { filter: filter.filter } : {}) }, inbox.push);
    return { channel, inbox };
  }

  async function insert(c: FluxbaseClient, room: string, body: string): Promise<Message> {
    const { data, error } = await c.from('messages').insert({ room, body }).select().single();
    if (error) throw error;
    return data as Message;
  }

  async function signUp(prefix: string): Promise<{ email: string; token: string; id: string }> {
    const c = client();
    const email = `${prefix}-${process.pid}-${++serial}@example.com`;
    const { data, error } = await c.auth.signUp({ email, password: PASSWORD });
    if (error || !data.session) throw error ?? new Error('no session');
    return { email, token: data.session.access_token, id: data.user.id };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.sql.unsafe(`
      create table public.messages (id serial primary key, room text not null, body text not null, owner uuid not null default auth.uid());
      alter table public.messages enable row level security;
      create policy own_rows on public.messages for all using (auth.uid() = owner) with check (auth.uid() = owner);
      grant select, insert, update, delete on public.messages to anon, authenticated, service_role;
      grant usage on sequence public.messages_id_seq to authenticated, service_role;
      create table public.not_enabled (id serial primary key);
      grant select on public.not_enabled to anon, authenticated;
    `);
    const overrides = { rate_limit: { enabled: false } };
    [app, app2] = await Promise.all([startTestApp(db.url, { overrides }), startTestApp(db.url, { overrides })]);
    const res = await app.fetch('/api/v1/admin/realtime/tables', {
      method: 'POST',
      headers: { Authorization: `Bearer ${app.keys.service_role}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ table: 'messages' }),
    });
    if (res.status !== 201) throw new Error(`enabling realtime failed: ${res.status} ${await res.text()}`);
    [ann, bob] = await Promise.all([signUp('ann'), signUp('bob')]);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.removeAllChannels()));
  });

  afterAll(async () => {
    await Promise.all([app?.close(), app2?.close()]);
    await db?.drop();
  });

  describe('postgres_changes', () => {
    it('INSERT, UPDATE and DELETE reach the owner only; service_role sees every row', async () => {
      const annClient = await signedIn(ann);
      const bobClient = await signedIn(bob);
      const service = client(app, app.keys.service_role);
      const a = changes(annClient, 'ann-feed');
      const b = changes(bobClient, 'bob-feed');
      const s = changes(service, 'service-feed');
      await Promise.all([subscribed(a.channel), subscribed(b.channel), subscribed(s.channel)]);

      const row = await insert(annClient, 'general', 'hello');
      const ins = await a.inbox.next();
      expect(ins).toMatchObject({ eventType: 'INSERT', schema: 'public', table: 'messages', new: { id: row.id, body: 'hello', owner: ann.id }, old: {}, errors: null });
      expect(Number.isNaN(Date.parse(ins.commit_timestamp))).toBe(false);

      await annClient.from('messages').update({ body: 'edited' }).eq('id', row.id);
      expect(await a.inbox.next()).toMatchObject({ eventType: 'UPDATE', new: { id: row.id, body: 'edited' }, old: { id: row.id, body: 'hello' } });

      await annClient.from('messages').delete().eq('id', row.id);
      expect(await a.inbox.next()).toMatchObject({ eventType: 'DELETE', new: {}, old: { id: row.id } });

      // Bob's own row is the first thing Bob hears: none of Ann's three changes reached him.
      const mine = await insert(bobClient, 'general', 'bob was here');
      expect((await b.inbox.next()).new).toMatchObject({ id: mine.id });
      expect(b.inbox.items).toHaveLength(1);

      const seen = [await s.inbox.next(), await s.inbox.next(), await s.inbox.next(), await s.inbox.next()];
      expect(seen.map((p) => p.eventType)).toEqual(['INSERT', 'UPDATE', 'DELETE', 'INSERT']);
    });

    it('filters, and one change routed to every matching listener of the connection once', async () => {
      const annClient = await signedIn(ann);
      const general = new Inbox<RealtimePostgresChangesPayload<Message>>();
      const random = new Inbox<RealtimePostgresChangesPayload<Message>>();
      const all = new Inbox<RealtimePostgresChangesPayload<Message>>();
      const channel = annClient.channel('filtered')
        .on<Message>('postgres_changes', { event: 'INSERT', table: 'messages', filter: 'room=eq.general' }, general.push)
        .on<Message>('postgres_changes', { event: 'UPDATE', table: 'messages', filter: 'room=in.(random,other)' }, random.push);
      const other = annClient.channel('everything').on<Message>('postgres_changes', { event: '*', table: 'messages' }, all.push);
      await Promise.all([subscribed(channel), subscribed(other)]);

      const r = await insert(annClient, 'random', 'not for general');
      const g = await insert(annClient, 'general', 'for general');
      await annClient.from('messages').update({ body: 'changed' }).eq('id', r.id);
      expect((await general.next()).new.id).toBe(g.id);
      expect((await random.next()).new).toMatchObject({ id: r.id, body: 'changed' });
      const everything = [await all.next(), await all.next(), await all.next()];
      expect(everything.map((p) => [p.eventType, p.new.id])).toEqual([['INSERT', r.id], ['INSERT', g.id], ['UPDATE', r.id]]);
      expect(general.items).toHaveLength(1);
      expect(random.items).toHaveLength(1);
    });

    it('a table that is not enabled and a bad filter are CHANNEL_ERRORs', async () => {
      const c = await signedIn(ann);
      const notEnabled = c.channel('ne').on('postgres_changes', { event: '*', table: 'not_enabled' }, () => {});
      await expect(subscribed(notEnabled)).rejects.toThrow(/CHANNEL_ERROR: TABLE_NOT_ENABLED/);
      const bad = c.channel('bad').on('postgres_changes', { event: '*', table: 'messages', filter: 'room=nope.x' }, () => {});
      await expect(subscribed(bad)).rejects.toThrow(/CHANNEL_ERROR: INVALID_FILTER/);
    });
  });

  describe('broadcast', () => {
    it('reaches the members; the sender only with self; ack resolves send', async () => {
      const a = client();
      const b = client();
      const aInbox = new Inbox<RealtimeBroadcastPayload<{ n: number }>>();
      const bInbox = new Inbox<RealtimeBroadcastPayload<{ n: number }>>();
      const aChannel = a.channel('room-1', { config: { broadcast: { self: true, ack: true } } }).on<{ n: number }>('broadcast', { event: 'tick' }, aInbox.push);
      const bChannel = b.channel('room-1').on<{ n: number }>('broadcast', { event: '*' }, bInbox.push);
      await Promise.all([subscribed(aChannel), subscribed(bChannel)]);

      expect(await aChannel.send({ type: 'broadcast', event: 'tick', payload: { n: 1 } })).toBe('ok');
      expect(await bInbox.next()).toEqual({ type: 'broadcast', event: 'tick', payload: { n: 1 } });
      expect(await aInbox.next()).toEqual({ type: 'broadcast', event: 'tick', payload: { n: 1 } });

      expect(await bChannel.send({ type: 'broadcast', event: 'tick', payload: { n: 2 } })).toBe('ok');
      expect((await aInbox.next()).payload).toEqual({ n: 2 });
      // b has no self: its next message is a's third, not its own second.
      await aChannel.send({ type: 'broadcast', event: 'tick', payload: { n: 3 } });
      expect((await bInbox.next()).payload).toEqual({ n: 3 });
      expect(bInbox.items.map((m) => m.payload.n)).toEqual([1, 3]);
    });
  });

  describe('presence', () => {
    it('join, sync and leave between two clients', async () => {
      const a = client();
      const b = client();
      const joins = new Inbox<string>();
      const leaves = new Inbox<string>();
      const aChannel = a.channel('lobby', { config: { presence: { key: 'ann' } } })
        .on('presence', { event: 'join' }, (p) => joins.push(p.key))
        .on('presence', { event: 'leave' }, (p) => leaves.push(p.key))
        .on('presence', { event: 'sync' }, () => {});
      const bChannel = b.channel('lobby', { config: { presence: { key: 'bob' } } }).on('presence', { event: 'sync' }, () => {});
      await Promise.all([subscribed(aChannel), subscribed(bChannel)]);

      expect(await aChannel.track({ name: 'Ann' })).toBe('ok');
      expect(await joins.next((k) => k === 'ann')).toBe('ann');
      expect(await bChannel.track({ name: 'Bob' })).toBe('ok');
      expect(await joins.next((k) => k === 'bob')).toBe('bob');
      expect(aChannel.presenceState()).toEqual({ ann: [{ name: 'Ann' }], bob: [{ name: 'Bob' }] });
      expect(await eventually(async () => Object.keys(bChannel.presenceState()).sort().join() === 'ann,bob')).toBe(true);

      await bChannel.untrack();
      expect(await leaves.next()).toBe('bob');
      expect(aChannel.presenceState()).toEqual({ ann: [{ name: 'Ann' }] });

      await bChannel.track({ name: 'Bob again' });
      await joins.next((k) => k === 'bob');
      await b.removeAllChannels(); // the socket closes: the server sends leave
      expect(await leaves.next()).toBe('bob');
      expect(aChannel.presenceState()).toEqual({ ann: [{ name: 'Ann' }] });
    });
  });

  describe('tokens', () => {
    it('realtime.setAuth moves an anonymous connection to the user; RLS follows', async () => {
      const annClient = await signedIn(ann);
      const watcher = client();
      const { channel, inbox } = changes(watcher, 'anon-then-ann');
      await subscribed(channel);
      await insert(annClient, 'general', 'unseen by anon');

      watcher.realtime.setAuth(ann.token);
      // The token takes effect when the server has handled access_token: poll with fresh rows.
      // (A row's change may arrive after the next insert answered: look for any of them.)
      expect(await eventually(async () => {
        await insert(annClient, 'general', 'seen');
        return inbox.items.some((p) => p.new.body === 'seen');
      }, 10_000, 300)).toBe(true);
      expect(inbox.items.every((p) => p.new.body === 'seen')).toBe(true);
    });

    it('signing in with client.auth hands the session token to the open connection', async () => {
      const annClient = await signedIn(ann);
      const c = client();
      const { channel, inbox } = changes(c, 'sign-in-later');
      await subscribed(channel);
      await c.auth.signInWithPassword({ email: ann.email, password: PASSWORD });
      expect(await eventually(async () => {
        await insert(annClient, 'general', 'after sign-in');
        return inbox.items.some((p) => p.new.body === 'after sign-in');
      }, 10_000, 300)).toBe(true);
    });
  });

  describe('connection', () => {
    let proxy: TcpProxy;
    afterEach(async () => {
      await proxy?.close();
    });

    it('reconnects after the socket is cut, subscribes again and tracks presence again', async () => {
      const port = Number(new URL(app.url).port);
      proxy = await startTcpProxy({ host: '127.0.0.1', port });
      const annClient = await signedIn(ann);
      const viaProxy = await signedIn(ann, `http://127.0.0.1:${proxy.port}`);
      const observer = client();
      const statuses: string[] = [];
      const { channel, inbox } = changes(viaProxy, 'survivor');
      channel.on('presence', { event: 'sync' }, () => {});
      await subscribed(channel, statuses);
      await channel.track({ here: true });
      const lobby = observer.channel('survivor').on('presence', { event: 'sync' }, () => {});
      await subscribed(lobby);
      expect(await eventually(async () => Object.keys(lobby.presenceState()).length === 1)).toBe(true);

      await proxy.down('refuse');
      expect(await eventually(async () => statuses.includes('CHANNEL_ERROR REALTIME_DISCONNECTED'))).toBe(true);
      expect(await eventually(async () => Object.keys(lobby.presenceState()).length === 0)).toBe(true);
      await proxy.up();
      expect(await eventually(async () => statuses.at(-1) === 'SUBSCRIBED', 10_000)).toBe(true);
      expect(viaProxy.realtime.connectionState()).toBe('open');

      const row = await insert(annClient, 'general', 'after the outage');
      expect((await inbox.next((p) => p.new.id === row.id)).eventType).toBe('INSERT');
      expect(await eventually(async () => Object.keys(lobby.presenceState()).length === 1)).toBe(true);
    });

    it('the per-user connection limit closes with 1008; the client retries until a slot is free', async () => {
      const limited = await startTestApp(db.url, { overrides: { rate_limit: { enabled: false }, realtime: { max_connections_per_user: 1 } } });
      try {
        const first = await signedIn(ann, limited);
        await subscribed(first.channel('one'));
        const second = await signedIn(ann, limited);
        const errors: string[] = [];
        second.realtime.onError((e) => errors.push(e.code));
        const statuses: string[] = [];
        const pending = new Promise<void>((resolve) => {
          second.channel('two').subscribe((status, error) => {
            statuses.push(error ? `${status} ${error.code}` : status);
            if (status === 'SUBSCRIBED') resolve();
          });
        });
        expect(await eventually(async () => errors.includes('MAX_CONNECTIONS_REACHED'))).toBe(true);
        expect(statuses[0]).toBe('CHANNEL_ERROR MAX_CONNECTIONS_REACHED');
        await first.removeAllChannels();
        await pending;
        expect(statuses.at(-1)).toBe('SUBSCRIBED');
        await second.removeAllChannels();
      } finally {
        await limited.close();
      }
    });

    it('announces a shutdown to onSystem and the channels', async () => {
      const doomed = await startTestApp(db.url, { overrides: { rate_limit: { enabled: false } } });
      const c = client(doomed);
      const system = new Inbox<RealtimeSystemPayload>();
      const onChannel = new Inbox<RealtimeSystemPayload>();
      c.realtime.onSystem(system.push);
      const statuses: string[] = [];
      await subscribed(c.channel('bye').on('system', { event: 'shutdown' }, onChannel.push), statuses);
      await doomed.close();
      expect((await system.next()).event).toBe('shutdown');
      expect((await onChannel.next()).event).toBe('shutdown');
      expect(await eventually(async () => statuses.includes('CHANNEL_ERROR REALTIME_DISCONNECTED'))).toBe(true);
    });

    it('one WebSocket per client, closed with the last channel', async () => {
      const c = client();
      await Promise.all([subscribed(c.channel('x')), subscribed(c.channel('y'))]);
      expect(c.getChannels().map((ch) => ch.name)).toEqual(['x', 'y']);
      // Earlier tests' sockets may still be closing on the server: wait for the count to settle.
      const admin = client(app, app.keys.service_role);
      expect(await eventually(async () => (await admin.request<{ total_connections: number }>('GET', '/api/v1/realtime/stats')).data?.total_connections === 1)).toBe(true);
      await c.removeChannel(c.getChannels()[0]!);
      expect(c.realtime.connectionState()).toBe('open');
      await c.removeAllChannels();
      expect(c.realtime.connectionState()).toBe('closed');
    });
  });

  describe('two server instances on one database', () => {
    it('changes, broadcast and presence cross instances', async () => {
      const writer = await signedIn(ann, app);
      const reader = await signedIn(ann, app2);
      const { channel, inbox } = changes(reader, 'cross');
      const messages = new Inbox<RealtimeBroadcastPayload>();
      channel.on('broadcast', { event: 'hello' }, messages.push).on('presence', { event: 'sync' }, () => {});
      await subscribed(channel);
      const sender = writer.channel('cross').on('presence', { event: 'sync' }, () => {});
      await subscribed(sender);

      const row = await insert(writer, 'general', 'from instance one');
      expect((await inbox.next()).new).toMatchObject({ id: row.id, body: 'from instance one' });
      // Each change reaches each connection once, whichever instance wrote it.
      const marker = await insert(writer, 'general', 'marker');
      await inbox.next((p) => p.new.id === marker.id);
      expect(inbox.items.map((p) => p.new.id)).toEqual([row.id, marker.id]);

      expect(await sender.send({ type: 'broadcast', event: 'hello', payload: { from: 'app1' } })).toBe('ok');
      expect((await messages.next()).payload).toEqual({ from: 'app1' });

      await sender.track({ instance: 1 });
      expect(await eventually(async () => JSON.stringify(channel.presenceState()).includes('"instance":1'))).toBe(true);
    });
  });
});
