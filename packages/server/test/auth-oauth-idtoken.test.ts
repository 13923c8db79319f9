// POST /api/v1/auth/signin/idtoken against real HTTP key sets: tokens signed by a local
// issuer that serves discovery + JWKS (to craft expired, foreign-audience, foreign-issuer,
// foreign-key and nonce cases) and a token issued by the oidc-provider server itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, uniqueEmail } from './harness/auth.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';
import { defaultCallbackUrl, obtainIdToken, registerProvider, startJwksIssuer, startOidcProvider, type JwksIssuer, type TestOidcProvider } from './harness/oidc.ts';
import { hashedNonce } from '../src/auth/oauth/pkce.ts';

const CLIENT = 'mobile-client';
let db: TestDatabase;
let issuer: JwksIssuer;
let idp: TestOidcProvider;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  issuer = await startJwksIssuer();
  idp = await startOidcProvider({ redirectUris: [defaultCallbackUrl('real')] });
  app = await startTestApp(db.url, { overrides: { rate_limit: { enabled: false } } });
  await registerProvider(app, { name: 'local', client_id: CLIENT, issuer_url: issuer.issuer });
  await registerProvider(app, { name: 'real', client_id: idp.clientId, client_secret: idp.clientSecret, issuer_url: idp.issuer });
  await registerProvider(app, { name: 'github', client_id: 'gh' });
});
afterAll(async () => {
  await app?.close();
  await Promise.all([issuer?.close(), idp?.close()]);
  await db?.drop();
});

const signIn = (body: unknown) => call(app, 'POST', '/api/v1/auth/signin/idtoken', body);
const subject = () => `sub-${Math.random().toString(36).slice(2, 10)}`;

async function userCount(): Promise<number> {
  const [row] = await db.sql`select count(*)::int as n from auth.users`;
  return row!.n as number;
}

describe('valid ID tokens', () => {
  it('creates a verified user with a real, refreshable session, then signs the same subject in again', async () => {
    const sub = subject();
    const email = uniqueEmail('idt');
    const r = await signIn({ provider: 'local', token: await issuer.sign({ sub, aud: CLIENT, email, email_verified: true, name: 'Kim' }) });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'bearer', user: { email, email_verified: true, user_metadata: { name: 'Kim' } } });
    // A real session (docs/auth.md "6. Sign in with an ID token (mobile, One Tap, Sign in
    // with Apple JS)"): /user works and the refresh token rotates.
    expect((await call(app, 'GET', '/api/v1/auth/user', undefined, r.body.access_token)).status).toBe(200);
    const refreshed = await call(app, 'POST', '/api/v1/auth/refresh', { refresh_token: r.body.refresh_token });
    expect(refreshed.status).toBe(200);
    const claims = JSON.parse(Buffer.from((r.body.access_token as string).split('.')[1]!, 'base64url').toString()) as { session_id: string; amr: { method: string }[] };
    const [session] = await db.sql`select id from auth.sessions where id = ${claims.session_id}`;
    expect(session).toBeDefined();
    expect(claims.amr[0]!.method).toBe('idtoken');

    const again = await signIn({ provider: 'local', token: await issuer.sign({ sub, aud: CLIENT, email, email_verified: true }) });
    expect(again.body.user.id).toBe(r.body.user.id);
  });

  it('accepts the raw nonce when the token carries it raw or SHA-256 hashed', async () => {
    const nonce = 'n-0123456789';
    for (const claim of [nonce, hashedNonce(nonce)]) {
      const r = await signIn({ provider: 'local', nonce, token: await issuer.sign({ sub: subject(), aud: CLIENT, nonce: claim }) });
      expect(r.status, claim).toBe(200);
    }
  });

  it('accepts an ID token issued by the real OIDC provider (hashed nonce, as mobile SDKs send)', async () => {
    const account = `acct-${Math.random().toString(36).slice(2, 10)}`;
    const email = uniqueEmail('real');
    idp.setAccount(account, { email, email_verified: true });
    const nonce = 'raw-nonce-from-the-app';
    const token = await obtainIdToken(idp, defaultCallbackUrl('real'), account, hashedNonce(nonce));
    const r = await signIn({ provider: 'real', token, nonce });
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ email, email_verified: true });
    const [identity] = await db.sql`select provider, provider_subject from auth.identities where user_id = ${r.body.user.id}`;
    expect(identity).toMatchObject({ provider: 'real', provider_subject: account });
  });
});

describe('refused ID tokens (401 INVALID_ID_TOKEN, nothing created)', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => Promise<Record<string, unknown>>, string][] = [
    ['expired', async () => ({ token: await issuer.sign({ sub: subject(), aud: CLIENT }, { issuedAt: now() - 3600, expiresIn: 600 }) }), 'expired'],
    ['another audience', async () => ({ token: await issuer.sign({ sub: subject(), aud: 'someone-else' }) }), 'invalid_audience'],
    ['another issuer', async () => ({ token: await issuer.sign({ sub: subject(), aud: CLIENT, iss: 'https://evil.example.net' }) }), 'invalid_issuer'],
    ['signed by another key', async () => ({ token: await issuer.sign({ sub: subject(), aud: CLIENT }, { foreignKey: true }) }), 'bad_signature'],
    ['wrong nonce', async () => ({ nonce: 'expected', token: await issuer.sign({ sub: subject(), aud: CLIENT, nonce: 'other' }) }), 'nonce_mismatch'],
    ['nonce sent, none in token', async () => ({ nonce: 'expected', token: await issuer.sign({ sub: subject(), aud: CLIENT }) }), 'nonce_mismatch'],
    ['nonce in token, none sent', async () => ({ token: await issuer.sign({ sub: subject(), aud: CLIENT, nonce: 'x' }) }), 'missing_nonce'],
    ['not a JWT', async () => ({ token: 'not.a.jwt' }), 'malformed'],
    ['unsigned', async () => ({ token: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', aud: CLIENT, iss: issuer.issuer })).toString('base64url')}.` }), 'malformed'],
  ];
  it.each(cases)('%s', async (_name, make, reason) => {
    const before = await userCount();
    const r = await signIn({ provider: 'local', ...(await make()) });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: 'INVALID_ID_TOKEN', details: { reason } });
    expect(await userCount()).toBe(before);
  });
});

describe('bad requests', () => {
  it('answers 404 for an unknown provider, 400 for a non-OIDC one, and 400 for missing fields', async () => {
    const token = await issuer.sign({ sub: subject(), aud: CLIENT });
    const unknown = await signIn({ provider: 'nope', token });
    expect(unknown.status).toBe(404);
    expect(unknown.body.details.resource).toBe('oauth_provider');
    const github = await signIn({ provider: 'github', token });
    expect(github.status).toBe(400);
    expect(github.body.code).toBe('VALIDATION_FAILED');
    expect((await signIn({ provider: 'local' })).body).toMatchObject({ code: 'MISSING_REQUIRED_FIELD', details: { field: 'token' } });
    expect((await signIn({ token })).body).toMatchObject({ code: 'MISSING_REQUIRED_FIELD', details: { field: 'provider' } });
    expect((await signIn({ provider: 'local', token: 42 })).body.code).toBe('VALIDATION_FAILED');
    expect((await signIn([1, 2])).body.code).toBe('INVALID_REQUEST_BODY');
  });
});
