// OAuth/OIDC sign-in end to end against a real OpenID Connect provider on loopback
// (oidc-provider): authorization started on instance A and finished on instance B (the
// state lives in PostgreSQL, seed 3.5), user creation, linking by subject and by verified
// email, identity linking and unlinking, stored provider tokens, form_post callbacks.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signUp, STRONG_PASSWORD, uniqueEmail } from './harness/auth.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';
import {
  authorizeAndLogin, browserLogin, callback, defaultCallbackUrl, loginAt, registerProvider, startOidcProvider, type TestOidcProvider,
} from './harness/oidc.ts';

const APP_CALLBACK = 'http://app.test/auth/callback';
const overrides = {
  rate_limit: { enabled: false },
  auth: { site_url: 'http://app.test', redirect_allow_list: ['http://app.test/auth/**'] },
};

let db: TestDatabase;
let idp: TestOidcProvider;
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  idp = await startOidcProvider({ redirectUris: [defaultCallbackUrl('test'), defaultCallbackUrl('apple'), APP_CALLBACK] });
  [a, b] = await Promise.all([startTestApp(db.url, { overrides }), startTestApp(db.url, { overrides })]);
  await registerProvider(a, { name: 'test', display_name: 'Test IdP', client_id: idp.clientId, client_secret: idp.clientSecret, issuer_url: idp.issuer });
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await idp?.close();
  await db?.drop();
});

function account(verified = true, email = uniqueEmail('idp')): { id: string; email: string } {
  const id = `acct-${Math.random().toString(36).slice(2, 10)}`;
  idp.setAccount(id, { email, email_verified: verified, name: 'Ada Lovelace', picture: 'https://img.test/ada.png' });
  return { id, email };
}

async function stateRows(): Promise<number> {
  const [row] = await db.sql`select count(*)::int as n from auth.oauth_states`;
  return row!.n as number;
}

describe('sign-in across two instances (state in PostgreSQL)', () => {
  it('authorizes on A, signs in at the provider, and completes on B with a new verified user', async () => {
    const acct = account();
    const before = await stateRows();
    const login = await authorizeAndLogin(a, 'test', acct.id);
    const url = new URL(login.authorize.body.url as string);
    expect(url.origin).toBe(idp.issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('nonce')).toBeTruthy();
    expect(url.searchParams.get('redirect_uri')).toBe(defaultCallbackUrl('test'));
    expect(login.state).toBe(url.searchParams.get('state'));
    // The attempt is a row in PostgreSQL (not in A's memory), its secrets not in clear.
    const [row] = await db.sql`select provider, code_verifier_enc, nonce from auth.oauth_states where state_hash = sha256(${login.state}::bytea)`;
    expect(row).toMatchObject({ provider: 'test', nonce: url.searchParams.get('nonce') });
    expect(row!.code_verifier_enc).not.toContain(login.state);

    const r = await callback(b, 'test', { code: login.code, state: login.state });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'bearer', is_new_user: true, user: { email: acct.email, email_verified: true, user_metadata: { name: 'Ada Lovelace', avatar_url: 'https://img.test/ada.png', provider: 'test' } } });
    expect(await stateRows()).toBe(before);
    // The session is real on either instance.
    const me = await call(a, 'GET', '/api/v1/auth/user', undefined, r.body.access_token);
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(r.body.user.id);
    const [identity] = await db.sql`select provider, provider_subject, email from auth.identities where user_id = ${r.body.user.id}`;
    expect(identity).toMatchObject({ provider: 'test', provider_subject: acct.id, email: acct.email });
  });

  it('refuses the same code and state a second time (consumed atomically)', async () => {
    const acct = account();
    const login = await authorizeAndLogin(a, 'test', acct.id);
    const [first, second] = await Promise.all([
      callback(a, 'test', { code: login.code, state: login.state }),
      callback(b, 'test', { code: login.code, state: login.state }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 400]);
    const refused = first.status === 400 ? first : second;
    expect(refused.body).toMatchObject({ code: 'INVALID_OAUTH_STATE', details: { reason: 'unknown_or_used' } });
    const again = await callback(b, 'test', { code: login.code, state: login.state });
    expect(again.body).toMatchObject({ code: 'INVALID_OAUTH_STATE' });
  });

  it('signs the same provider account into the same user the second time (identity by subject)', async () => {
    const acct = account();
    const first = await authorizeAndLogin(a, 'test', acct.id);
    const r1 = await callback(b, 'test', { code: first.code, state: first.state });
    // The provider changes the email: the subject still decides.
    idp.setAccount(acct.id, { email: uniqueEmail('changed'), email_verified: true });
    const second = await authorizeAndLogin(b, 'test', acct.id);
    const r2 = await callback(a, 'test', { code: second.code, state: second.state });
    expect(r2.status).toBe(200);
    expect(r2.body.is_new_user).toBe(false);
    expect(r2.body.user.id).toBe(r1.body.user.id);
    const [count] = await db.sql`select count(*)::int as n from auth.identities where provider_subject = ${acct.id}`;
    expect(count!.n).toBe(1);
  });

  it('creates one user when two first sign-ins of the same account race on both instances', async () => {
    const acct = account();
    const [l1, l2] = await Promise.all([authorizeAndLogin(a, 'test', acct.id), authorizeAndLogin(b, 'test', acct.id)]);
    const [before] = await db.sql`select count(*)::int as n from auth.users`;
    const [r1, r2] = await Promise.all([
      callback(a, 'test', { code: l1.code, state: l1.state }),
      callback(b, 'test', { code: l2.code, state: l2.state }),
    ]);
    expect([r1.status, r2.status], JSON.stringify([r1.body, r2.body])).toEqual([200, 200]);
    expect(r1.body.user.id).toBe(r2.body.user.id);
    const [after] = await db.sql`select count(*)::int as n from auth.users`;
    expect(after!.n).toBe(before!.n + 1);
  });

  it('answers a TwoFactorChallenge instead of a session for a user with TOTP on', async () => {
    const acct = account();
    const first = await authorizeAndLogin(a, 'test', acct.id);
    const userId = (await callback(b, 'test', { code: first.code, state: first.state })).body.user.id as string;
    await db.sql`update auth.users set totp_enabled = true where id = ${userId}`;
    const second = await authorizeAndLogin(a, 'test', acct.id);
    const r = await callback(b, 'test', { code: second.code, state: second.state });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ requires_2fa: true, user_id: userId });
    expect(r.body.access_token).toBeUndefined();
  });

  it('accepts an allow-listed redirect_uri and echoes redirect_to', async () => {
    const acct = account();
    const login = await authorizeAndLogin(a, 'test', acct.id, { redirect_uri: APP_CALLBACK, redirect_to: 'http://app.test/auth/done' });
    expect(`${login.url.origin}${login.url.pathname}`).toBe(APP_CALLBACK);
    const r = await callback(b, 'test', { code: login.code, state: login.state });
    expect(r.status).toBe(200);
    expect(r.body.redirect_to).toBe('http://app.test/auth/done');
  });

  it('redirects to the provider with redirect=true', async () => {
    const res = await a.fetch('/api/v1/auth/oauth/test/authorize?redirect=true', { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).origin).toBe(idp.issuer);
  });

  it('lists the enabled providers', async () => {
    const r = await call(b, 'GET', '/api/v1/auth/oauth/providers');
    expect(r.status).toBe(200);
    expect(r.body.providers).toContainEqual({ provider: 'test', display_name: 'Test IdP', authorize_url: 'http://localhost:8080/api/v1/auth/oauth/test/authorize' });
  });
});

describe("binding to the client's own PKCE pair (the SDK's login-CSRF guard)", () => {
  it('requires the matching code_verifier at the callback when a code_challenge was sent', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const login = await authorizeAndLogin(a, 'test', account().id, { code_challenge: challenge, code_challenge_method: 'S256' });
    for (const params of [{}, { code_verifier: randomBytes(32).toString('base64url') }] as Record<string, string>[]) {
      const r = await callback(b, 'test', { code: login.code, state: login.state, ...params });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 'INVALID_OAUTH_STATE', details: { reason: 'client_verifier_mismatch' } });
    }
    // Refusals leave the attempt for the client that holds the verifier.
    const ok = await callback(b, 'test', { code: login.code, state: login.state, code_verifier: verifier });
    expect(ok.status).toBe(200);
  });

  it('accepts only S256 challenges', async () => {
    const plain = await call(a, 'GET', '/api/v1/auth/oauth/test/authorize?code_challenge=abc&code_challenge_method=plain');
    expect(plain.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: { code_challenge_method: 'must be S256' } } });
    const short = await call(a, 'GET', '/api/v1/auth/oauth/test/authorize?code_challenge=abc&code_challenge_method=S256');
    expect(short.body.code).toBe('VALIDATION_FAILED');
  });
});

describe('linking by verified email', () => {
  async function verifiedPasswordUser(email: string): Promise<string> {
    const r = await call(a, 'POST', '/api/v1/admin/users', { email, password: STRONG_PASSWORD, email_verified: true }, a.keys.service_role);
    expect(r.status).toBe(201);
    return r.body.id as string;
  }

  it('links the provider account to an existing verified password user', async () => {
    const email = uniqueEmail('pw');
    const userId = await verifiedPasswordUser(email);
    const acct = account(true, email.toUpperCase());
    const login = await authorizeAndLogin(a, 'test', acct.id);
    const r = await callback(b, 'test', { code: login.code, state: login.state });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ is_new_user: false, user: { id: userId, email } });
    // The password still works.
    const signin = await call(b, 'POST', '/api/v1/auth/signin', { email, password: STRONG_PASSWORD });
    expect(signin.status).toBe(200);
  });

  it('does not link when the provider does not vouch for the email', async () => {
    const email = uniqueEmail('pw');
    const userId = await verifiedPasswordUser(email);
    const acct = account(false, email);
    const login = await authorizeAndLogin(a, 'test', acct.id);
    const r = await callback(b, 'test', { code: login.code, state: login.state });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'ALREADY_EXISTS', details: { reason: 'email_taken' } });
    const [count] = await db.sql`select count(*)::int as n from auth.identities where user_id = ${userId}`;
    expect(count!.n).toBe(0);
  });

  it('does not link to an account whose own email was never verified', async () => {
    const email = uniqueEmail('squat');
    const squatter = await signUp(a, email); // email_verified false
    const acct = account(true, email);
    const login = await authorizeAndLogin(a, 'test', acct.id);
    const r = await callback(b, 'test', { code: login.code, state: login.state });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'ALREADY_EXISTS', details: { reason: 'email_not_verified' } });
    const [count] = await db.sql`select count(*)::int as n from auth.identities where user_id = ${squatter.user.id}`;
    expect(count!.n).toBe(0);
  });

  it('creates a user with an unverified email when the provider does not vouch for a new address', async () => {
    const acct = account(false);
    const login = await authorizeAndLogin(a, 'test', acct.id);
    const r = await callback(b, 'test', { code: login.code, state: login.state });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ is_new_user: true, user: { email: acct.email, email_verified: false } });
  });
});

describe('identities of the signed-in user', () => {
  it('links a second provider account, lists, refuses to unlink the last one, and unlinks', async () => {
    const owner = account();
    const first = await authorizeAndLogin(a, 'test', owner.id);
    const session = (await callback(b, 'test', { code: first.code, state: first.state })).body;
    const token = session.access_token as string;

    const start = await call(a, 'POST', '/api/v1/auth/user/identities', { provider: 'test' }, token);
    expect(start.status).toBe(200);
    expect(start.body).toMatchObject({ provider: 'test', state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const [row] = await db.sql`select link_user_id from auth.oauth_states where state_hash = sha256(${start.body.state}::bytea)`;
    expect(row!.link_user_id).toBe(session.user.id);

    const other = account(true);
    const login = await loginAt(start.body.url as string, other.id);
    // Finishing a linking attempt needs the session of the user who started it.
    const anonymous = await callback(b, 'test', { code: login.code, state: login.state });
    expect(anonymous.status).toBe(401);

    const again = await loginAt((await call(a, 'POST', '/api/v1/auth/user/identities', { provider: 'test' }, token)).body.url as string, other.id);
    const linked = await callback(b, 'test', { code: again.code, state: again.state }, token);
    expect(linked.status).toBe(200);
    expect(linked.body.user.id).toBe(session.user.id);
    expect(linked.body.is_new_user).toBe(false);

    const list = await call(b, 'GET', '/api/v1/auth/user/identities', undefined, token);
    expect(list.status).toBe(200);
    expect(list.body.identities.map((i: { identity_id: string }) => i.identity_id).sort()).toEqual([owner.id, other.id].sort());
    expect(list.body.identities[0]).toMatchObject({ provider: 'test', user_id: session.user.id });
    expect(JSON.stringify(list.body)).not.toMatch(/token_enc|access_token/);

    const [firstId, secondId] = list.body.identities.map((i: { id: string }) => i.id) as [string, string];
    expect((await call(b, 'DELETE', `/api/v1/auth/user/identities/${firstId}`, undefined, token)).body).toEqual({ success: true });
    const last = await call(b, 'DELETE', `/api/v1/auth/user/identities/${secondId}`, undefined, token);
    expect(last.status).toBe(409);
    expect(last.body).toMatchObject({ code: 'CONFLICT', details: { reason: 'last_sign_in_method' } });
    const [count] = await db.sql`select count(*)::int as n from auth.identities where user_id = ${session.user.id}`;
    expect(count!.n).toBe(1);
  });

  it('refuses to link an account that belongs to another user', async () => {
    const taken = account();
    const l1 = await authorizeAndLogin(a, 'test', taken.id);
    const otherUser = (await callback(b, 'test', { code: l1.code, state: l1.state })).body.user.id as string;
    const me = await signUp(a);
    const start = await call(a, 'POST', '/api/v1/auth/user/identities', { provider: 'test' }, me.access_token);
    const login = await loginAt(start.body.url as string, taken.id);
    const r = await callback(b, 'test', { code: login.code, state: login.state }, me.access_token);
    expect(r.status).toBe(409);
    expect(r.body.details.reason).toBe('identity_linked_to_another_user');
    const [row] = await db.sql`select user_id from auth.identities where provider_subject = ${taken.id}`;
    expect(row!.user_id).toBe(otherUser);
  });

  it('lets a password user unlink their only identity, and answers 404 for identities of others', async () => {
    const me = await signUp(a);
    const start = await call(a, 'POST', '/api/v1/auth/user/identities', { provider: 'test' }, me.access_token);
    const login = await loginAt(start.body.url as string, account().id);
    expect((await callback(a, 'test', { code: login.code, state: login.state }, me.access_token)).status).toBe(200);
    const list = await call(a, 'GET', '/api/v1/auth/user/identities', undefined, me.access_token);
    const id = list.body.identities[0].id as string;
    const stranger = await signUp(a);
    expect((await call(a, 'DELETE', `/api/v1/auth/user/identities/${id}`, undefined, stranger.access_token)).status).toBe(404);
    expect((await call(a, 'DELETE', '/api/v1/auth/user/identities/not-a-uuid', undefined, me.access_token)).body.code).toBe('INVALID_ID');
    expect((await call(a, 'DELETE', `/api/v1/auth/user/identities/${id}`, undefined, me.access_token)).status).toBe(200);
  });

  it('needs a user session', async () => {
    for (const [method, path] of [['GET', '/api/v1/auth/user/identities'], ['POST', '/api/v1/auth/user/identities'], ['GET', '/api/v1/auth/oauth/test/token']] as const) {
      const anon = await call(a, method, path, method === 'POST' ? { provider: 'test' } : undefined);
      expect(anon.status).toBe(401);
      const service = await call(a, method, path, method === 'POST' ? { provider: 'test' } : undefined, a.keys.service_role);
      expect(service.status).toBe(401);
    }
  });
});

describe('provider tokens', () => {
  it("returns the caller's own provider token, stored sealed", async () => {
    const acct = account();
    const login = await authorizeAndLogin(a, 'test', acct.id);
    const session = (await callback(b, 'test', { code: login.code, state: login.state })).body;
    const r = await call(a, 'GET', '/api/v1/auth/oauth/test/token', undefined, session.access_token);
    expect(r.status).toBe(200);
    expect(r.body.access_token).toEqual(expect.any(String));
    expect(r.body.expires_at).toBeGreaterThan(Date.now() / 1000);
    // The provider accepts it (userinfo), so it is the real token.
    const info = await fetch(`${idp.issuer}/me`, { headers: { authorization: `Bearer ${r.body.access_token}` } });
    expect(((await info.json()) as { sub: string }).sub).toBe(acct.id);
    const [row] = await db.sql`select access_token_enc from auth.identities where provider_subject = ${acct.id}`;
    expect(row!.access_token_enc).not.toContain(r.body.access_token);

    const someoneElse = await signUp(a);
    const none = await call(a, 'GET', '/api/v1/auth/oauth/test/token', undefined, someoneElse.access_token);
    expect(none.status).toBe(404);
    expect(none.body.details.resource).toBe('identity');
  });
});

describe('form_post callbacks (Apple preset)', () => {
  it('accepts the provider form posted to the callback', async () => {
    await registerProvider(a, { name: 'apple', client_id: idp.clientId, client_secret: idp.clientSecret, issuer_url: idp.issuer, scopes: ['openid', 'email', 'profile'] });
    const acct = account();
    const authorize = await call(a, 'GET', '/api/v1/auth/oauth/apple/authorize');
    expect(new URL(authorize.body.url as string).searchParams.get('response_mode')).toBe('form_post');
    const result = await browserLogin(authorize.body.url as string, acct.id);
    expect(result.kind).toBe('form_post');
    if (result.kind !== 'form_post') return;
    const res = await b.fetch('/api/v1/auth/oauth/apple/callback', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...result.fields, user: JSON.stringify({ name: { firstName: 'Grace', lastName: 'Hopper' } }) }).toString(),
    });
    const body = (await res.json()) as { is_new_user: boolean; user: { email: string } };
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ is_new_user: true, user: { email: acct.email } });
  });
});

describe('signup disabled', () => {
  it('refuses to create a user through OAuth, but still signs in existing identities', async () => {
    const closed = await startTestApp(db.url, { overrides: { ...overrides, auth: { ...overrides.auth, signup_enabled: false } } });
    try {
      const known = account();
      const l1 = await authorizeAndLogin(a, 'test', known.id);
      expect((await callback(a, 'test', { code: l1.code, state: l1.state })).status).toBe(200);
      const [before] = await db.sql`select count(*)::int as n from auth.users`;
      const fresh = await authorizeAndLogin(closed, 'test', account().id);
      const r = await callback(closed, 'test', { code: fresh.code, state: fresh.state });
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('SIGNUP_DISABLED');
      const [after] = await db.sql`select count(*)::int as n from auth.users`;
      expect(after!.n).toBe(before!.n);
      const l2 = await authorizeAndLogin(closed, 'test', known.id);
      expect((await callback(closed, 'test', { code: l2.code, state: l2.state })).status).toBe(200);
    } finally {
      await closed.close();
    }
  });
});
