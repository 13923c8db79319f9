// OAuth from the browser side (fetch double): the authorize request, the flow record kept
// in storage, the navigation, and the exchange that accepts only this browser's state.
// Also the PKCE helpers (RFC 7636 appendix B vector) and the storage adapters.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../index.ts';
import { ANON, BASE, fakeServer, makeSession, type FakeServer } from './fake-server.test-helper.ts';
import { codeChallengeS256, createPkcePair, generateCodeVerifier } from './pkce.ts';
import { defaultStorage, localStorageAdapter, memoryStorage } from './storage.ts';
import type { SupportedStorage } from './types.ts';

const A = '/api/v1/auth';
const FLOW_KEY = 'fluxbase.auth.session-oauth';
const PROVIDER_URL = 'https://idp.example/authorize?client_id=c&state=server-state-1';

afterEach(() => {
  vi.unstubAllGlobals();
});

function setup(routes: FakeServer['routes'] = {}) {
  const storage = memoryStorage();
  const server = fakeServer({ [`GET ${A}/oauth/google/authorize`]: () => ({ body: { url: PROVIDER_URL, provider: 'google' } }), ...routes });
  const client = createClient(BASE, ANON, { fetch: server.fetch, auth: { storage, autoRefreshToken: false } });
  return { client, server, storage };
}

async function flowOf(storage: SupportedStorage): Promise<Record<string, unknown>> {
  return JSON.parse(String(await storage.getItem(FLOW_KEY))) as Record<string, unknown>;
}

describe('signInWithOAuth', () => {
  it('asks the server for the URL with redirect, scopes and an S256 challenge, and records the flow', async () => {
    const { client, server, storage } = setup();
    const res = await client.auth.signInWithOAuth({ provider: 'google', options: { redirectTo: 'https://app.example/cb', scopes: ['email', 'profile'], skipBrowserRedirect: true } });
    expect(res).toEqual({ data: { provider: 'google', url: PROVIDER_URL }, error: null });
    const q = server.last(`GET ${A}/oauth/google/authorize`)?.query;
    expect(q?.get('redirect_uri')).toBe('https://app.example/cb');
    expect(q?.get('scopes')).toBe('email profile');
    expect(q?.get('code_challenge_method')).toBe('S256');
    const flow = await flowOf(storage);
    expect(flow).toMatchObject({ kind: 'signin', provider: 'google', state: 'server-state-1', redirectTo: 'https://app.example/cb' });
    expect(q?.get('code_challenge')).toBe(await codeChallengeS256(String(flow.codeVerifier)));
  });

  it('navigates in a browser unless skipBrowserRedirect', async () => {
    const assign = vi.fn();
    vi.stubGlobal('location', { assign });
    const { client } = setup();
    await client.auth.signInWithOAuth({ provider: 'google' });
    expect(assign).toHaveBeenCalledWith(PROVIDER_URL);
    await client.auth.signInWithOAuth({ provider: 'google', options: { skipBrowserRedirect: true } });
    expect(assign).toHaveBeenCalledTimes(1);
  });

  it('passes server errors through and records nothing', async () => {
    const { client, storage } = setup({ [`GET ${A}/oauth/google/authorize`]: () => ({ status: 400, body: { error: 'Bad redirect', code: 'INVALID_REDIRECT_URL' } }) });
    const res = await client.auth.signInWithOAuth({ provider: 'google', options: { redirectTo: 'https://evil.example' } });
    expect(res.error?.code).toBe('INVALID_REDIRECT_URL');
    expect(await storage.getItem(FLOW_KEY)).toBeNull();
  });
});

describe('exchangeCodeForSession', () => {
  it('calls the callback with code, state and verifier, stores the session, forgets the flow', async () => {
    const session = makeSession();
    const { client, server, storage } = setup({ [`GET ${A}/oauth/google/callback`]: () => ({ body: { ...session, is_new_user: true } }) });
    await client.auth.signInWithOAuth({ provider: 'google', options: { skipBrowserRedirect: true } });
    const verifier = (await flowOf(storage)).codeVerifier;
    const res = await client.auth.exchangeCodeForSession('code-1', 'server-state-1');
    expect(res.error).toBeNull();
    expect(res.data?.session?.access_token).toBe(session.access_token);
    const q = server.last(`GET ${A}/oauth/google/callback`)?.query;
    expect([q?.get('code'), q?.get('state'), q?.get('code_verifier')]).toEqual(['code-1', 'server-state-1', verifier]);
    expect(await storage.getItem(FLOW_KEY)).toBeNull();
    expect((await client.auth.getSession()).data?.session?.access_token).toBe(session.access_token);
  });

  it('refuses a state this browser did not start (login CSRF) without calling the server', async () => {
    const { client, server } = setup();
    await client.auth.signInWithOAuth({ provider: 'google', options: { skipBrowserRedirect: true } });
    const res = await client.auth.exchangeCodeForSession('attacker-code', 'attacker-state');
    expect(res.error?.code).toBe('INVALID_OAUTH_STATE');
    expect(server.count(`GET ${A}/oauth/google/callback`)).toBe(0);
  });

  it('refuses when no flow was started', async () => {
    const { client } = setup();
    expect((await client.auth.exchangeCodeForSession('c', 's')).error?.code).toBe('INVALID_OAUTH_STATE');
  });
});

describe('linkIdentity', () => {
  it('posts the provider with the user token and records a link flow', async () => {
    const session = makeSession();
    const { client, server, storage } = setup({
      [`POST ${A}/signin`]: () => ({ body: session }),
      [`POST ${A}/user/identities`]: () => ({ body: { url: 'https://github.example/authorize?state=s2', provider: 'github', state: 's2' } }),
    });
    await client.auth.signInWithPassword({ email: 'a@x.io', password: 'p' });
    const res = await client.auth.linkIdentity({ provider: 'github', options: { skipBrowserRedirect: true } });
    expect(res.data?.url).toBe('https://github.example/authorize?state=s2');
    const req = server.last(`POST ${A}/user/identities`);
    expect(req?.headers.get('authorization')).toBe(`Bearer ${session.access_token}`);
    expect(req?.body).toMatchObject({ provider: 'github', code_challenge_method: 'S256' });
    expect(await flowOf(storage)).toMatchObject({ kind: 'link', provider: 'github', state: 's2' });
  });
});

describe('PKCE', () => {
  it('matches the RFC 7636 appendix B example', async () => {
    expect(await codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('verifiers are 43 unreserved characters and differ each time', async () => {
    const a = generateCodeVerifier();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateCodeVerifier()).not.toBe(a);
    const pair = await createPkcePair();
    expect(pair.challenge).toBe(await codeChallengeS256(pair.verifier));
  });
});

describe('storage adapters', () => {
  it('memoryStorage round-trips', async () => {
    const s = memoryStorage();
    await s.setItem('k', 'v');
    expect(await s.getItem('k')).toBe('v');
    await s.removeItem('k');
    expect(await s.getItem('k')).toBeNull();
  });

  it('localStorage is used when the global works, skipped when it throws', async () => {
    expect(localStorageAdapter()).toBeUndefined();
    const items = new Map<string, string>();
    vi.stubGlobal('localStorage', { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => items.set(k, v), removeItem: (k: string) => items.delete(k) });
    await defaultStorage().setItem('k', 'v');
    expect(items.get('k')).toBe('v');
    vi.stubGlobal('localStorage', { getItem: () => null, setItem: () => { throw new Error('SecurityError'); }, removeItem: () => undefined });
    expect(localStorageAdapter()).toBeUndefined();
    await defaultStorage().setItem('k2', 'v2');
    expect(items.has('k2')).toBe(false);
  });
});
