// OAuth bad input against a real provider: unknown or disabled providers, open redirects,
// absent / malformed / unknown / replayed / expired / foreign states, a wrong nonce, a
// refused or failing code exchange, and provider errors. Each is a clear 4xx or 502 in the
// error envelope (docs/errors.md), and no user, identity or session is created.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, uniqueEmail } from './harness/auth.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';
import { authorizeAndLogin, callback, defaultCallbackUrl, registerProvider, startOidcProvider, type TestOidcProvider } from './harness/oidc.ts';

let db: TestDatabase;
let idp: TestOidcProvider;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  idp = await startOidcProvider({ redirectUris: [defaultCallbackUrl('test'), defaultCallbackUrl('other')] });
  app = await startTestApp(db.url, {
    overrides: { rate_limit: { enabled: false }, auth: { site_url: 'https://app.example.com', redirect_allow_list: ['https://app.example.com/auth/**', 'myapp://callback'] } },
  });
  const base = { client_id: idp.clientId, client_secret: idp.clientSecret, issuer_url: idp.issuer };
  await registerProvider(app, { name: 'test', ...base });
  await registerProvider(app, { name: 'other', ...base });
  await registerProvider(app, { name: 'off', ...base, enabled: false });
  await registerProvider(app, { name: 'deadend', client_id: 'x', authorize_url: `${idp.issuer}/auth`, token_url: 'http://127.0.0.1:9/token', userinfo_url: 'http://127.0.0.1:9/me' });
});
afterAll(async () => {
  await app?.close();
  await idp?.close();
  await db?.drop();
});

function newAccount(): string {
  const id = `acct-${Math.random().toString(36).slice(2, 10)}`;
  idp.setAccount(id, { email: uniqueEmail('bad'), email_verified: true });
  return id;
}

async function counts(): Promise<{ users: number; identities: number; sessions: number }> {
  const [row] = await db.sql`select (select count(*)::int from auth.users) as users, (select count(*)::int from auth.identities) as identities,
                                    (select count(*)::int from auth.sessions) as sessions`;
  return row as unknown as { users: number; identities: number; sessions: number };
}

describe('providers and redirect targets', () => {
  it('answers 404 NOT_FOUND (resource oauth_provider) for unknown and disabled providers', async () => {
    for (const path of [
      '/api/v1/auth/oauth/nope/authorize', '/api/v1/auth/oauth/off/authorize', '/api/v1/auth/oauth/nope/callback?code=x&state=y',
      '/api/v1/auth/oauth/NOT%20VALID/authorize',
    ]) {
      const r = await call(app, 'GET', path);
      expect(r.status, path).toBe(404);
      expect(r.body).toMatchObject({ code: 'NOT_FOUND', details: { resource: 'oauth_provider' } });
    }
    const list = await call(app, 'GET', '/api/v1/auth/oauth/providers');
    expect(list.body.providers.map((p: { provider: string }) => p.provider)).not.toContain('off');
  });

  const redirectCases: [string, Record<string, string>, string][] = [
    ['open redirect_to', { redirect_to: 'https://evil.example.net/' }, 'redirect_to'],
    ['lookalike host', { redirect_to: 'https://app.example.com.evil.net/auth/x' }, 'redirect_to'],
    ['prefix escape', { redirect_to: 'https://app.example.com/auth/../admin' }, 'redirect_to'],
    ['userinfo trick', { redirect_to: 'https://app.example.com@evil.net/auth/x' }, 'redirect_to'],
    ['javascript URL', { redirect_to: 'javascript:alert(1)' }, 'redirect_to'],
    ['open redirect_uri', { redirect_uri: 'https://evil.example.net/cb' }, 'redirect_uri'],
    ['unlisted custom scheme', { redirect_uri: 'otherapp://callback' }, 'redirect_uri'],
  ];
  it.each(redirectCases)('refuses %s with 400 INVALID_REDIRECT_URL and stores nothing', async (_name, query, field) => {
    const [before] = await db.sql`select count(*)::int as n from auth.oauth_states`;
    const r = await call(app, 'GET', `/api/v1/auth/oauth/test/authorize?${new URLSearchParams(query).toString()}`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'INVALID_REDIRECT_URL', details: { field } });
    const [after] = await db.sql`select count(*)::int as n from auth.oauth_states`;
    expect(after!.n).toBe(before!.n);
  });

  it('accepts site_url, allow-listed prefixes and an exact native-app scheme', async () => {
    for (const redirect_to of ['https://app.example.com', 'https://app.example.com/auth/deep/link?x=1', 'myapp://callback']) {
      const r = await call(app, 'GET', `/api/v1/auth/oauth/test/authorize?${new URLSearchParams({ redirect_to }).toString()}`);
      expect(r.status, redirect_to).toBe(200);
    }
  });

  it('refuses malformed scopes, repeated parameters and a bad redirect flag', async () => {
    expect((await call(app, 'GET', '/api/v1/auth/oauth/test/authorize?scopes=%22quoted%22')).body.code).toBe('VALIDATION_FAILED');
    expect((await call(app, 'GET', '/api/v1/auth/oauth/test/authorize?redirect_to=a&redirect_to=b')).body.code).toBe('VALIDATION_FAILED');
    expect((await call(app, 'GET', '/api/v1/auth/oauth/test/authorize?redirect=maybe')).body.code).toBe('VALIDATION_FAILED');
  });
});

describe('callback state', () => {
  it('refuses absent, malformed and unknown states with 400 INVALID_OAUTH_STATE', async () => {
    const before = await counts();
    const cases: [Record<string, string>, string][] = [
      [{ code: 'abc' }, 'missing'],
      [{ code: 'abc', state: 'short' }, 'malformed'],
      [{ code: 'abc', state: 'A'.repeat(43) }, 'unknown_or_used'],
    ];
    for (const [params, reason] of cases) {
      const r = await callback(app, 'test', params);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 'INVALID_OAUTH_STATE', details: { reason } });
    }
    expect(await counts()).toEqual(before);
  });

  it("refuses another provider's state and leaves it usable by its own callback", async () => {
    const login = await authorizeAndLogin(app, 'test', newAccount());
    const wrong = await callback(app, 'other', { code: login.code, state: login.state });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ code: 'INVALID_OAUTH_STATE', details: { reason: 'provider_mismatch' } });
    const right = await callback(app, 'test', { code: login.code, state: login.state });
    expect(right.status).toBe(200);
  });

  it('refuses an expired state', async () => {
    const before = await counts();
    const login = await authorizeAndLogin(app, 'test', newAccount());
    await db.sql`update auth.oauth_states set expires_at = now() - interval '1 second' where state_hash = sha256(${login.state}::bytea)`;
    const r = await callback(app, 'test', { code: login.code, state: login.state });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'INVALID_OAUTH_STATE', details: { reason: 'expired' } });
    expect(await counts()).toEqual(before);
  });

  it('requires the code', async () => {
    const r = await callback(app, 'test', { state: 'A'.repeat(43) });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'MISSING_REQUIRED_FIELD', details: { field: 'code' } });
  });
});

describe('ID token and code exchange', () => {
  it('refuses an ID token whose nonce is not the one issued (401 INVALID_ID_TOKEN), creating nothing', async () => {
    const before = await counts();
    const login = await authorizeAndLogin(app, 'test', newAccount());
    // As if the attempt had been started with another nonce (token injection).
    await db.sql`update auth.oauth_states set nonce = 'a-different-nonce' where state_hash = sha256(${login.state}::bytea)`;
    const r = await callback(app, 'test', { code: login.code, state: login.state });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: 'INVALID_ID_TOKEN', details: { reason: 'nonce_mismatch' } });
    expect(await counts()).toEqual(before);
  });

  it('answers 502 OAUTH_PROVIDER_ERROR when the provider refuses the code', async () => {
    const before = await counts();
    const login = await authorizeAndLogin(app, 'test', newAccount());
    const r = await callback(app, 'test', { code: `${login.code}x`, state: login.state });
    expect(r.status).toBe(502);
    expect(r.body).toMatchObject({ code: 'OAUTH_PROVIDER_ERROR', details: { provider: 'test', provider_error: 'invalid_grant' } });
    expect(await counts()).toEqual(before);
  });

  it('refuses a verifier that does not match the challenge (PKCE enforced end to end)', async () => {
    const login = await authorizeAndLogin(app, 'test', newAccount());
    // Swap in the verifier of another attempt.
    const other = await call(app, 'GET', '/api/v1/auth/oauth/test/authorize');
    const otherState = new URL(other.body.url as string).searchParams.get('state')!;
    await db.sql`update auth.oauth_states set code_verifier_enc = (select code_verifier_enc from auth.oauth_states where state_hash = sha256(${otherState}::bytea))
                 where state_hash = sha256(${login.state}::bytea)`;
    const r = await callback(app, 'test', { code: login.code, state: login.state });
    expect(r.status).toBe(502);
    expect(r.body.details.provider_error).toBe('invalid_grant');
  });

  it('answers 502 OAUTH_PROVIDER_ERROR when the token endpoint is unreachable', async () => {
    const authorize = await call(app, 'GET', '/api/v1/auth/oauth/deadend/authorize');
    const state = new URL(authorize.body.url as string).searchParams.get('state')!;
    const r = await callback(app, 'deadend', { code: 'abc', state });
    expect(r.status).toBe(502);
    expect(r.body).toMatchObject({ code: 'OAUTH_PROVIDER_ERROR', details: { provider: 'deadend', reason: 'unreachable' } });
    expect(JSON.stringify(r.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  });

  it('reports a provider error redirect (access_denied) and burns the state', async () => {
    const authorize = await call(app, 'GET', '/api/v1/auth/oauth/test/authorize');
    const state = new URL(authorize.body.url as string).searchParams.get('state')!;
    const r = await callback(app, 'test', { error: 'access_denied', error_description: 'The user said no', state });
    expect(r.status).toBe(502);
    expect(r.body).toMatchObject({ code: 'OAUTH_PROVIDER_ERROR', details: { provider_error: 'access_denied', provider_error_description: 'The user said no' } });
    const [row] = await db.sql`select count(*)::int as n from auth.oauth_states where state_hash = sha256(${state}::bytea)`;
    expect(row!.n).toBe(0);
  });
});
