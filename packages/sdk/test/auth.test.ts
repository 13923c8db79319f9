// client.auth against the real server: sign-up and the stored session, the user, RLS seen
// through from() with the user's token, token rotation and single-flight refresh, sign-out,
// event order, persistence, auto refresh on a short-lived token, the 401 EXPIRED_TOKEN
// retry, and error results.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../../server/test/harness/index.ts';
import { createClient, memoryStorage, type AuthChangeEvent, type AuthClientOptions, type FluxbaseClient, type Session, type SupportedStorage } from '../src/index.ts';

const PASSWORD = 'correct horse battery staple';
const KEY = 'fluxbase.auth.session';

let db: TestDatabase;
let app: TestApp;
/** Access tokens live 4 s and the server has no leeway: refresh timing and expiry become observable. */
let shortApp: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe(`
    create table public.sdk_notes (id serial primary key, owner uuid not null default auth.uid(), body text not null);
    alter table public.sdk_notes enable row level security;
    create policy own_rows on public.sdk_notes for all using (auth.uid() = owner) with check (auth.uid() = owner);
    grant select, insert, update, delete on public.sdk_notes to anon, authenticated;
    grant usage on sequence public.sdk_notes_id_seq to authenticated;
  `);
  [app, shortApp] = await Promise.all([
    startTestApp(db.url, { overrides: { rate_limit: { enabled: false }, auth: { anonymous_signin_enabled: true } } }),
    startTestApp(db.url, { overrides: { rate_limit: { enabled: false }, auth: { jwt_expiry: '4s', jwt_leeway: '0s' } } }),
  ]);
});
afterAll(async () => {
  await Promise.all([app?.close(), shortApp?.close()]);
  await db?.drop();
});

let serial = 0;
const uniqueEmail = (prefix: string) => `${prefix}-${process.pid}-${++serial}-${Math.random().toString(36).slice(2, 8)}@example.com`;

interface Harness {
  client: FluxbaseClient;
  storage: SupportedStorage;
  events: AuthChangeEvent[];
  /** Requests sent, as "METHOD /path". */
  sent: string[];
}

function makeClient(target: TestApp = app, auth: AuthClientOptions = {}, storage: SupportedStorage = memoryStorage()): Harness {
  const sent: string[] = [];
  const client = createClient(target.url, target.keys.anon, {
    fetch: (input, init) => {
      sent.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
      return fetch(input, init);
    },
    auth: { storage, ...auth },
  });
  const events: AuthChangeEvent[] = [];
  client.auth.onAuthStateChange((event) => events.push(event));
  return { client, storage, events, sent };
}

async function signedUp(target: TestApp = app, auth: AuthClientOptions = {}): Promise<Harness & { session: Session; email: string }> {
  const h = makeClient(target, auth);
  const email = uniqueEmail('sdk');
  const res = await h.client.auth.signUp({ email, password: PASSWORD, options: { data: { name: 'Ann' } } });
  expect(res.error).toBeNull();
  const session = res.data?.session;
  if (!session) throw new Error('signUp returned no session');
  return { ...h, session, email };
}

async function stored(storage: SupportedStorage): Promise<Session | null> {
  const raw = await storage.getItem(KEY);
  return raw === null ? null : JSON.parse(raw) as Session;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('sign-up, user and data access', () => {
  it('signUp stores the session; getUser and updateUser work with it', async () => {
    const { client, storage, session, email, events } = await signedUp();
    expect(session.user).toMatchObject({ email, user_metadata: { name: 'Ann' } });
    expect(session.token_type).toBe('bearer');
    expect(await stored(storage)).toEqual(session);

    const user = await client.auth.getUser();
    expect(user.error).toBeNull();
    expect(user.data?.user.id).toBe(session.user.id);

    const updated = await client.auth.updateUser({ data: { name: 'Ann', theme: 'dark' } });
    expect(updated.error).toBeNull();
    expect(updated.data?.user.user_metadata).toEqual({ name: 'Ann', theme: 'dark' });
    expect((await client.auth.getUser()).data?.user.user_metadata).toEqual({ name: 'Ann', theme: 'dark' });
    expect((await stored(storage))?.user.user_metadata).toEqual({ name: 'Ann', theme: 'dark' });
    expect(events).toEqual(['INITIAL_SESSION', 'SIGNED_IN', 'USER_UPDATED']);
  });

  it('from() runs as the signed-in user: RLS shows each user only their rows', async () => {
    const ann = await signedUp();
    const bob = await signedUp();
    expect((await ann.client.from('sdk_notes').insert({ body: 'ann note' })).error).toBeNull();
    expect((await bob.client.from('sdk_notes').insert({ body: 'bob note' })).error).toBeNull();

    const annRows = await ann.client.from('sdk_notes').select('owner, body');
    expect(annRows.error).toBeNull();
    expect(annRows.data).toEqual([{ owner: ann.session.user.id, body: 'ann note' }]);
    const bobRows = await bob.client.from('sdk_notes').select('owner, body');
    expect(bobRows.data).toEqual([{ owner: bob.session.user.id, body: 'bob note' }]);

    const anon = createClient(app.url, app.keys.anon, { auth: { storage: memoryStorage() } });
    expect((await anon.from('sdk_notes').select()).data).toEqual([]);
  });

  it('a wrong password is { data: null, error } with INVALID_CREDENTIALS', async () => {
    const { email } = await signedUp();
    const { client } = makeClient();
    const res = await client.auth.signInWithPassword({ email, password: 'not the password' });
    expect(res.data).toBeNull();
    expect(res.error).toMatchObject({ status: 401, code: 'INVALID_CREDENTIALS' });
    expect(typeof res.error?.requestId).toBe('string');
  });

  it('signInWithPassword signs an existing user in', async () => {
    const { email, session } = await signedUp();
    const { client, events } = makeClient();
    const res = await client.auth.signInWithPassword({ email, password: PASSWORD });
    expect(res.error).toBeNull();
    expect(res.data?.user?.id).toBe(session.user.id);
    expect(res.data?.session?.access_token).not.toBe(session.access_token);
    expect(events).toEqual(['INITIAL_SESSION', 'SIGNED_IN']);
  });

  it('signInAnonymously creates an anonymous user', async () => {
    const { client } = makeClient();
    const res = await client.auth.signInAnonymously({ options: { data: { guest: true } } });
    expect(res.error).toBeNull();
    expect(res.data?.user).toMatchObject({ is_anonymous: true, user_metadata: { guest: true } });
  });

  it('getAuthConfig returns the enforced settings', async () => {
    const res = await makeClient().client.auth.getAuthConfig();
    expect(res.error).toBeNull();
    expect(res.data).toMatchObject({ signup_enabled: true, anonymous_signin_enabled: true, password_min_length: 8, mfa_available: true });
    expect(Array.isArray(res.data?.oauth_providers)).toBe(true);
  });
});

describe('refresh', () => {
  it('refreshSession rotates both tokens and stores the new session', async () => {
    const { client, storage, session, events } = await signedUp();
    const res = await client.auth.refreshSession();
    expect(res.error).toBeNull();
    const next = res.data?.session;
    expect(next?.access_token).not.toBe(session.access_token);
    expect(next?.refresh_token).not.toBe(session.refresh_token);
    expect(next?.user.id).toBe(session.user.id);
    expect(await stored(storage)).toEqual(next);
    expect((await client.auth.getUser()).error).toBeNull();
    expect(events).toEqual(['INITIAL_SESSION', 'SIGNED_IN', 'TOKEN_REFRESHED']);
  });

  it('concurrent refreshSession calls send one refresh request', async () => {
    const { client, sent } = await signedUp();
    const results = await Promise.all(Array.from({ length: 5 }, () => client.auth.refreshSession()));
    expect(sent.filter((r) => r === 'POST /api/v1/auth/refresh')).toHaveLength(1);
    const tokens = new Set(results.map((r) => r.data?.session.access_token));
    expect(tokens.size).toBe(1);
    expect(results.every((r) => r.error === null)).toBe(true);
  });

  it('refreshes on a timer before the access token expires', async () => {
    const { client, storage, session, events } = await signedUp(shortApp);
    await until(() => events.includes('TOKEN_REFRESHED'));
    client.auth.stopAutoRefresh();
    const now = await stored(storage);
    expect(now?.access_token).not.toBe(session.access_token);
    expect((await client.auth.getUser()).error).toBeNull();
  });

  it('a data call answered 401 EXPIRED_TOKEN refreshes once and is retried', async () => {
    const { session, storage } = await signedUp(shortApp, { autoRefreshToken: false });
    // Wait until the server refuses the token as expired.
    await until(async () => {
      const r = await shortApp.fetch('/api/v1/auth/user', { headers: { Authorization: `Bearer ${session.access_token}` } });
      return r.status === 401 && ((await r.json()) as { code?: string }).code === 'EXPIRED_TOKEN';
    });
    // A client that believes the token is still good (its clock, or a stale copy) sends it anyway.
    await storage.setItem(KEY, JSON.stringify({ ...session, expires_at: Math.floor(Date.now() / 1000) + 3600 }));
    const h = makeClient(shortApp, { autoRefreshToken: false }, storage);
    const res = await h.client.from('sdk_notes').select();
    expect(res.error).toBeNull();
    expect(h.sent.filter((r) => r === 'GET /api/v1/tables/sdk_notes')).toHaveLength(2);
    expect(h.sent.filter((r) => r === 'POST /api/v1/auth/refresh')).toHaveLength(1);
    expect(h.events).toEqual(['INITIAL_SESSION', 'TOKEN_REFRESHED']);
  });
});

describe('sign-out and persistence', () => {
  it('signOut clears storage, emits SIGNED_OUT, and the server refuses the old token', async () => {
    const { client, storage, session, events } = await signedUp();
    await client.auth.refreshSession();
    const current = await stored(storage);
    expect(await client.auth.signOut()).toEqual({ error: null });
    expect(await storage.getItem(KEY)).toBeNull();
    expect((await client.auth.getSession()).data?.session).toBeNull();
    expect(events).toEqual(['INITIAL_SESSION', 'SIGNED_IN', 'TOKEN_REFRESHED', 'SIGNED_OUT']);
    const r = await app.fetch('/api/v1/auth/user', { headers: { Authorization: `Bearer ${current?.access_token ?? session.access_token}` } });
    expect(r.status).toBe(401);
    expect((await client.auth.getUser()).error?.code).toBe('AUTH_SESSION_MISSING');
  });

  it('a new client on the same storage picks the session up with INITIAL_SESSION', async () => {
    const first = await signedUp();
    const second = makeClient(app, {}, first.storage);
    const seen: Array<[AuthChangeEvent, string | undefined]> = [];
    second.client.auth.onAuthStateChange((event, session) => seen.push([event, session?.access_token]));
    const { data } = await second.client.auth.getSession();
    expect(data?.session?.access_token).toBe(first.session.access_token);
    expect(seen).toEqual([['INITIAL_SESSION', first.session.access_token]]);
    const user = await second.client.auth.getUser();
    expect(user.data?.user.id).toBe(first.session.user.id);
    expect((await second.client.from('sdk_notes').insert({ body: 'from the second client' }).select('owner').single()).data).toEqual({ owner: first.session.user.id });
  });
});
