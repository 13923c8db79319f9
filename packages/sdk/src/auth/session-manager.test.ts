// Session state through client.auth with a fetch double: single-flight refresh, what a
// failed refresh does, the auto-refresh timer (fake clock), persistence adapters (sync,
// async, corrupt), INITIAL_SESSION and listener isolation.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, type AuthChangeEvent, type AuthClientOptions } from '../index.ts';
import { ANON, BASE, errorReply, fakeServer, makeSession, type FakeServer } from './fake-server.test-helper.ts';
import { refreshDueAt } from './session.ts';
import { memoryStorage } from './storage.ts';
import type { Session, SupportedStorage } from './types.ts';

const REFRESH = 'POST /api/v1/auth/refresh';
const KEY = 'fluxbase.auth.session';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function storageWith(session: Session | null): SupportedStorage {
  const s = memoryStorage();
  if (session !== null) void s.setItem(KEY, JSON.stringify(session));
  return s;
}

function client(server: FakeServer, auth: AuthClientOptions) {
  const c = createClient(BASE, ANON, { fetch: server.fetch, auth });
  const events: Array<[AuthChangeEvent, string | null]> = [];
  c.auth.onAuthStateChange((event, session) => events.push([event, session?.access_token ?? null]));
  return { c, events };
}

describe('refreshSession', () => {
  it('concurrent calls share one network refresh', async () => {
    const old = makeSession();
    const next = makeSession();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const server = fakeServer({ [REFRESH]: async () => { await gate; return { body: next }; } });
    const { c, events } = client(server, { storage: storageWith(old), autoRefreshToken: false });
    const calls = [c.auth.refreshSession(), c.auth.refreshSession(), c.auth.refreshSession(), c.auth.getSession()];
    await vi.waitFor(() => expect(server.count(REFRESH)).toBe(1));
    release();
    const results = await Promise.all(calls.slice(0, 3));
    expect(server.count(REFRESH)).toBe(1);
    expect(server.last(REFRESH)?.body).toEqual({ refresh_token: old.refresh_token });
    for (const r of results) expect(r.data?.session).toEqual(next);
    expect(events.filter(([e]) => e === 'TOKEN_REFRESHED')).toEqual([['TOKEN_REFRESHED', next.access_token]]);
  });

  it('a final refusal ends the session: storage cleared, SIGNED_OUT', async () => {
    const storage = storageWith(makeSession());
    const server = fakeServer({ [REFRESH]: () => errorReply(401, 'REFRESH_TOKEN_REUSED') });
    const { c, events } = client(server, { storage, autoRefreshToken: false });
    const res = await c.auth.refreshSession();
    expect(res.error?.code).toBe('REFRESH_TOKEN_REUSED');
    expect(await storage.getItem(KEY)).toBeNull();
    expect(events.map(([e]) => e)).toEqual(['INITIAL_SESSION', 'SIGNED_OUT']);
  });

  it('a transient failure keeps the session', async () => {
    const old = makeSession();
    const server = fakeServer({ [REFRESH]: () => errorReply(503, 'SERVICE_UNAVAILABLE') });
    const { c } = client(server, { storage: storageWith(old), autoRefreshToken: false });
    expect((await c.auth.refreshSession()).error?.code).toBe('SERVICE_UNAVAILABLE');
    expect((await c.auth.getSession()).data?.session?.refresh_token).toBe(old.refresh_token);
  });

  it('an answer arriving after sign-out does not bring the session back', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const server = fakeServer({
      [REFRESH]: async () => { await gate; return { body: makeSession() }; },
      'POST /api/v1/auth/signout': () => ({ body: { message: 'ok' } }),
    });
    const { c, events } = client(server, { storage: storageWith(makeSession()), autoRefreshToken: false });
    const pending = c.auth.refreshSession();
    await vi.waitFor(() => expect(server.count(REFRESH)).toBe(1));
    await c.auth.signOut();
    release();
    expect((await pending).error).not.toBeNull();
    expect((await c.auth.getSession()).data?.session).toBeNull();
    expect(events.map(([e]) => e)).toEqual(['INITIAL_SESSION', 'SIGNED_OUT']);
  });

  it('without a session: AUTH_SESSION_MISSING, no request', async () => {
    const server = fakeServer();
    const { c } = client(server, { storage: memoryStorage() });
    expect((await c.auth.refreshSession()).error?.code).toBe('AUTH_SESSION_MISSING');
    expect(server.seen).toHaveLength(0);
  });

  it('adopts a newer session another tab stored instead of sending a rotated token', async () => {
    const storage = storageWith(makeSession());
    const newer = makeSession({ expiresIn: 1800 });
    const server = fakeServer({ [REFRESH]: () => ({ body: newer }) });
    const a = client(server, { storage, autoRefreshToken: false });
    const b = client(server, { storage, autoRefreshToken: false });
    await b.c.auth.getSession();
    expect((await a.c.auth.refreshSession()).data?.session).toEqual(newer);
    const res = await b.c.auth.refreshSession();
    expect(res.data?.session).toEqual(newer);
    expect(server.count(REFRESH)).toBe(1);
  });
});

describe('auto refresh', () => {
  it('refreshes at expiry minus the margin, then again for the new session', async () => {
    vi.useFakeTimers();
    const first = makeSession({ expiresIn: 900 });
    const server = fakeServer({ [REFRESH]: () => ({ body: makeSession({ expiresIn: 900 }) }) });
    const { c, events } = client(server, { storage: storageWith(first), refreshMarginSeconds: 60 });
    await c.auth.getSession();
    await vi.advanceTimersByTimeAsync(839_000);
    expect(server.count(REFRESH)).toBe(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(server.count(REFRESH)).toBe(1);
    expect(events.map(([e]) => e)).toEqual(['INITIAL_SESSION', 'TOKEN_REFRESHED']);
    await vi.advanceTimersByTimeAsync(841_000);
    expect(server.count(REFRESH)).toBe(2);
  });

  it('short-lived tokens refresh half-way through, not in a loop', async () => {
    vi.useFakeTimers();
    const server = fakeServer({ [REFRESH]: () => ({ body: makeSession({ expiresIn: 30 }) }) });
    const { c } = client(server, { storage: storageWith(makeSession({ expiresIn: 30 })), refreshMarginSeconds: 60 });
    await c.auth.getSession();
    await vi.advanceTimersByTimeAsync(14_000);
    expect(server.count(REFRESH)).toBe(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(server.count(REFRESH)).toBe(1);
  });

  it('retries with backoff after a transient failure', async () => {
    vi.useFakeTimers();
    let fail = true;
    const server = fakeServer({ [REFRESH]: () => (fail ? errorReply(503, 'SERVICE_UNAVAILABLE') : { body: makeSession() }) });
    const { c, events } = client(server, { storage: storageWith(makeSession({ expiresIn: 100 })), refreshMarginSeconds: 60 });
    await c.auth.getSession();
    // 100 s tokens: the margin is capped at 50 s (expires_at is whole seconds, so ±1 s).
    await vi.advanceTimersByTimeAsync(48_000);
    expect(server.count(REFRESH)).toBe(0);
    for (let i = 0; i < 40 && server.count(REFRESH) === 0; i++) await vi.advanceTimersByTimeAsync(100);
    expect(server.count(REFRESH)).toBe(1);
    fail = false;
    await vi.advanceTimersByTimeAsync(1_100);
    expect(server.count(REFRESH)).toBe(2);
    expect(events.map(([e]) => e)).toContain('TOKEN_REFRESHED');
  });

  it('does nothing with autoRefreshToken false or after stopAutoRefresh', async () => {
    vi.useFakeTimers();
    const server = fakeServer({ [REFRESH]: () => ({ body: makeSession() }) });
    const off = client(server, { storage: storageWith(makeSession()), autoRefreshToken: false });
    const stopped = client(server, { storage: storageWith(makeSession()) });
    await off.c.auth.getSession();
    await stopped.c.auth.getSession();
    stopped.c.auth.stopAutoRefresh();
    await vi.advanceTimersByTimeAsync(900_000);
    expect(server.count(REFRESH)).toBe(0);
    stopped.c.auth.startAutoRefresh();
    await vi.advanceTimersByTimeAsync(1);
    expect(server.count(REFRESH)).toBe(1);
  });

  it('getSession refreshes a session that has expired', async () => {
    const server = fakeServer({ [REFRESH]: () => ({ body: makeSession() }) });
    const { c } = client(server, { storage: storageWith(makeSession({ expiresIn: -5 })), autoRefreshToken: false });
    const res = await c.auth.getSession();
    expect(server.count(REFRESH)).toBe(1);
    expect(res.data?.session?.expires_in).toBe(900);
  });
});

describe('persistence', () => {
  it('a new client on the same storage picks the session up (INITIAL_SESSION)', async () => {
    const session = makeSession();
    const storage = memoryStorage();
    const server = fakeServer({ 'POST /api/v1/auth/signin': () => ({ body: session }) });
    await client(server, { storage, autoRefreshToken: false }).c.auth.signInWithPassword({ email: 'a@x.io', password: 'p' });
    const second = client(server, { storage, autoRefreshToken: false });
    expect((await second.c.auth.getSession()).data?.session).toEqual(session);
    expect(second.events).toEqual([['INITIAL_SESSION', session.access_token]]);
  });

  it('works with an async storage adapter', async () => {
    const items = new Map<string, string>();
    const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
    const storage: SupportedStorage = {
      getItem: async (k) => { await tick(); return items.get(k) ?? null; },
      setItem: async (k, v) => { await tick(); items.set(k, v); },
      removeItem: async (k) => { await tick(); items.delete(k); },
    };
    const session = makeSession();
    const server = fakeServer({ 'POST /api/v1/auth/signin': () => ({ body: session }), 'GET /api/v1/auth/user': () => ({ body: session.user }) });
    await client(server, { storage, autoRefreshToken: false }).c.auth.signInWithPassword({ email: 'a@x.io', password: 'p' });
    expect(JSON.parse(items.get(KEY) ?? 'null')).toEqual(session);
    const second = client(server, { storage, autoRefreshToken: false });
    // The first request right after createClient already waits for the stored session.
    await second.c.auth.getUser();
    expect(server.last('GET /api/v1/auth/user')?.headers.get('authorization')).toBe(`Bearer ${session.access_token}`);
  });

  it('a corrupt stored value is dropped', async () => {
    const storage = memoryStorage();
    await storage.setItem(KEY, '{not json');
    const { c } = client(fakeServer(), { storage });
    expect((await c.auth.getSession()).data?.session).toBeNull();
    expect(await storage.getItem(KEY)).toBeNull();
  });

  it('persistSession false writes nothing to the storage', async () => {
    const storage = memoryStorage();
    const spy = vi.spyOn(storage, 'setItem');
    const server = fakeServer({ 'POST /api/v1/auth/signin': () => ({ body: makeSession() }) });
    const { c } = client(server, { storage, persistSession: false, autoRefreshToken: false });
    await c.auth.signInWithPassword({ email: 'a@x.io', password: 'p' });
    expect((await c.auth.getSession()).data?.session).not.toBeNull();
    expect(spy).not.toHaveBeenCalled();
  });

  it('a storage that throws never breaks sign-in', async () => {
    const storage: SupportedStorage = { getItem: () => { throw new Error('blocked'); }, setItem: () => { throw new Error('quota'); }, removeItem: () => undefined };
    const server = fakeServer({ 'POST /api/v1/auth/signin': () => ({ body: makeSession() }) });
    const { c } = client(server, { storage, autoRefreshToken: false });
    expect((await c.auth.signInWithPassword({ email: 'a@x.io', password: 'p' })).error).toBeNull();
    expect((await c.auth.getSession()).data?.session).not.toBeNull();
  });
});

describe('listeners', () => {
  it('a throwing listener does not stop the others; unsubscribe stops delivery', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const server = fakeServer({ 'POST /api/v1/auth/signin': () => ({ body: makeSession() }) });
    const c = createClient(BASE, ANON, { fetch: server.fetch, auth: { storage: memoryStorage(), autoRefreshToken: false } });
    const seen: string[] = [];
    c.auth.onAuthStateChange(() => { throw new Error('boom'); });
    const { data } = c.auth.onAuthStateChange((e) => seen.push(e));
    await c.auth.signInWithPassword({ email: 'a@x.io', password: 'p' });
    data.subscription.unsubscribe();
    await c.auth.signInWithPassword({ email: 'a@x.io', password: 'p' });
    expect(seen).toEqual(['INITIAL_SESSION', 'SIGNED_IN']);
    expect(errors).toHaveBeenCalled();
  });
});

describe('refreshDueAt', () => {
  it('is expiry minus the margin, capped at half the lifetime', () => {
    const s = { expires_at: 10_000, expires_in: 900 } as Session;
    expect(refreshDueAt(s, 60)).toBe(9_940_000);
    expect(refreshDueAt({ ...s, expires_in: 30 }, 60)).toBe(9_985_000);
  });
});
