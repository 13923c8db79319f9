// The signed-in user's token on data requests (from, rpc, request): which Authorization
// goes out, refresh-before-send when the token is due, the single retry after a 401
// EXPIRED_TOKEN, and the credentials the wrapper must leave alone.
import { describe, expect, it } from 'vitest';
import { createClient, type ClientOptions } from '../index.ts';
import { ANON, BASE, errorReply, fakeServer, makeSession, type FakeServer } from './fake-server.test-helper.ts';
import { memoryStorage } from './storage.ts';
import type { Session } from './types.ts';

const ITEMS = 'GET /api/v1/tables/items';
const REFRESH = 'POST /api/v1/auth/refresh';
const KEY = 'fluxbase.auth.session';

async function withSession(server: FakeServer, session: Session, options: ClientOptions = {}) {
  const storage = memoryStorage();
  await storage.setItem(KEY, JSON.stringify(session));
  return createClient(BASE, ANON, { fetch: server.fetch, ...options, auth: { storage, autoRefreshToken: false, ...options.auth } });
}

describe('data requests', () => {
  it('carry the anon key before sign-in and the user token after, apikey unchanged', async () => {
    const session = makeSession();
    const server = fakeServer({ [ITEMS]: () => ({ body: [] }), 'POST /api/v1/auth/signin': () => ({ body: session }), 'POST /api/v1/rpc/default/f': () => ({ body: { execution_id: 'e', result: 1 } }) });
    const client = createClient(BASE, ANON, { fetch: server.fetch, auth: { storage: memoryStorage(), autoRefreshToken: false } });
    await client.from('items').select();
    expect(server.last(ITEMS)?.headers.get('authorization')).toBe(`Bearer ${ANON}`);
    await client.auth.signInWithPassword({ email: 'a@x.io', password: 'p' });
    await client.from('items').select();
    await client.rpc('f');
    for (const route of [ITEMS, 'POST /api/v1/rpc/default/f']) {
      expect(server.last(route)?.headers.get('authorization')).toBe(`Bearer ${session.access_token}`);
      expect(server.last(route)?.headers.get('apikey')).toBe(ANON);
    }
  });

  it('refresh first when the token is due, then send the new one', async () => {
    const next = makeSession();
    const server = fakeServer({ [ITEMS]: () => ({ body: [] }), [REFRESH]: () => ({ body: next }) });
    const client = await withSession(server, makeSession({ expiresIn: -1 }));
    await Promise.all([client.from('items').select(), client.from('items').select()]);
    expect(server.count(REFRESH)).toBe(1);
    expect(server.seen.filter((r) => r.path.endsWith('/items')).map((r) => r.headers.get('authorization'))).toEqual([`Bearer ${next.access_token}`, `Bearer ${next.access_token}`]);
  });

  it('a 401 EXPIRED_TOKEN is retried once after a refresh', async () => {
    const old = makeSession();
    const next = makeSession();
    const server = fakeServer({
      [ITEMS]: (req) => (req.headers.get('authorization') === `Bearer ${old.access_token}` ? errorReply(401, 'EXPIRED_TOKEN') : { body: [{ id: 1 }] }),
      [REFRESH]: () => ({ body: next }),
    });
    const client = await withSession(server, old);
    const res = await client.from('items').select();
    expect(res.error).toBeNull();
    expect(res.data).toEqual([{ id: 1 }]);
    expect(server.count(ITEMS)).toBe(2);
    expect(server.count(REFRESH)).toBe(1);
  });

  it('retries at most once, and never for other 401 codes or when disabled', async () => {
    const server = fakeServer({ [ITEMS]: () => errorReply(401, 'EXPIRED_TOKEN'), [REFRESH]: () => ({ body: makeSession() }) });
    const client = await withSession(server, makeSession());
    expect((await client.from('items').select()).error?.code).toBe('EXPIRED_TOKEN');
    expect(server.count(ITEMS)).toBe(2);

    const revoked = fakeServer({ [ITEMS]: () => errorReply(401, 'TOKEN_REVOKED'), [REFRESH]: () => ({ body: makeSession() }) });
    expect((await (await withSession(revoked, makeSession())).from('items').select()).error?.code).toBe('TOKEN_REVOKED');
    expect(revoked.count(ITEMS)).toBe(1);
    expect(revoked.count(REFRESH)).toBe(0);

    const off = fakeServer({ [ITEMS]: () => errorReply(401, 'EXPIRED_TOKEN'), [REFRESH]: () => ({ body: makeSession() }) });
    await (await withSession(off, makeSession(), { auth: { retryOnExpiredToken: false } })).from('items').select();
    expect(off.count(ITEMS)).toBe(1);
    expect(off.count(REFRESH)).toBe(0);
  });

  it('setAuth wins over the session and is neither refreshed nor retried', async () => {
    const server = fakeServer({ [ITEMS]: () => errorReply(401, 'EXPIRED_TOKEN'), [REFRESH]: () => ({ body: makeSession() }) });
    const client = await withSession(server, makeSession({ expiresIn: -1 }));
    client.setAuth('manual-token');
    await client.from('items').select();
    expect(server.last(ITEMS)?.headers.get('authorization')).toBe('Bearer manual-token');
    expect(server.count(ITEMS)).toBe(1);
    expect(server.count(REFRESH)).toBe(0);
  });

  it('an Authorization header from the client options is left alone', async () => {
    const server = fakeServer({ [ITEMS]: () => ({ body: [] }) });
    const client = await withSession(server, makeSession(), { headers: { Authorization: 'Bearer fixed' } });
    await client.from('items').select();
    expect(server.last(ITEMS)?.headers.get('authorization')).toBe('Bearer fixed');
  });

  it('a per-request credential is left alone', async () => {
    const server = fakeServer({ 'GET /x': () => ({ body: {} }) });
    const session = makeSession({ expiresIn: -1 });
    const client = await withSession(server, session);
    await client.request('GET', '/x', { headers: { Authorization: 'Bearer other' } });
    expect(server.last('GET /x')?.headers.get('authorization')).toBe('Bearer other');
    expect(server.count(REFRESH)).toBe(0);
  });
});
