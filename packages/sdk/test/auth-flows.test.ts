// client.auth's mail, MFA and OAuth methods against the real server, its SMTP mailer
// talking to a real SMTP server on loopback: magic link, email OTP, password reset,
// email verification and resend, reauthentication, TOTP enrolment / sign-in challenge /
// recovery codes / unenrolment, and OAuth sign-in and identity linking end to end through
// a minimal OAuth 2.0 provider on loopback (authorize → code → token → userinfo, PKCE checked).
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, hotp, totpStep } from '../../server/src/auth/totp/index.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../../server/test/harness/index.ts';
import { codeIn, linkIn, startSmtpServer, type TestSmtpServer } from '../../server/test/harness/smtp.ts';
import { createClient, memoryStorage, type AuthChangeEvent, type FluxbaseClient, type SupportedStorage } from '../src/index.ts';

const SITE = 'https://app.example.com';
const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase 42';

let db: TestDatabase;
let smtp: TestSmtpServer;
let idp: FakeProvider;
let app: TestApp;
/** Same database, but sign-up waits for email verification. */
let verifyingApp: TestApp;

beforeAll(async () => {
  [db, smtp, idp] = await Promise.all([createTestDatabase(), startSmtpServer(), startFakeProvider()]);
  const common = { rate_limit: { enabled: false }, email: { smtp_url: smtp.url } };
  [app, verifyingApp] = await Promise.all([
    startTestApp(db.url, {
      overrides: {
        ...common,
        auth: { site_url: SITE, redirect_allow_list: [`${SITE}/auth/**`] },
      },
    }),
    startTestApp(db.url, { overrides: { ...common, auth: { site_url: SITE, require_email_verification: true } } }),
  ]);
  // Database-managed providers: the GitHub preset (authorize leg only) and the loopback one.
  for (const provider of [
    { name: 'github', client_id: 'sdk-test-client', client_secret: 'sdk-test-secret' },
    { name: 'loopback', client_id: 'loopback-client', client_secret: 'loopback-secret', authorize_url: `${idp.url}/authorize`, token_url: `${idp.url}/token`, userinfo_url: `${idp.url}/userinfo` },
  ]) {
    const r = await app.fetch('/api/v1/admin/oauth/providers', {
      method: 'POST',
      headers: { Authorization: `Bearer ${app.keys.service_role}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(provider),
    });
    if (r.status !== 201) throw new Error(`creating the OAuth provider failed: ${r.status} ${await r.text()}`);
  }
});

interface FakeAccount { sub: string; email: string }

interface FakeProvider {
  url: string;
  /** The account the next authorization signs in as. */
  account: FakeAccount;
  /** Token requests whose PKCE verifier matched the challenge of the authorization. */
  pkceVerified: number;
  close(): Promise<void>;
}

/**
 * A minimal OAuth 2.0 provider: /authorize redirects straight back with a code (the user
 * "consents" at once), /token trades it after checking the PKCE S256 verifier, /userinfo
 * describes the account chosen by the test.
 */
async function startFakeProvider(): Promise<FakeProvider> {
  const codes = new Map<string, { challenge: string; account: FakeAccount }>();
  const tokens = new Map<string, FakeAccount>();
  let n = 0;
  const provider: FakeProvider = { url: '', account: { sub: 'nobody', email: 'nobody@example.com' }, pkceVerified: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const json = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (url.pathname === '/authorize') {
      const code = `code-${++n}`;
      codes.set(code, { challenge: url.searchParams.get('code_challenge') ?? '', account: provider.account });
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      res.end();
      return;
    }
    if (url.pathname === '/token') {
      let raw = '';
      req.on('data', (chunk: Buffer) => { raw += chunk.toString(); });
      req.on('end', () => {
        const form = new URLSearchParams(raw);
        const grant = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        if (!grant) return json(400, { error: 'invalid_grant' });
        const verifier = form.get('code_verifier') ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return json(400, { error: 'invalid_grant', error_description: 'PKCE' });
        provider.pkceVerified++;
        const token = `at-${++n}`;
        tokens.set(token, grant.account);
        json(200, { access_token: token, token_type: 'bearer', expires_in: 3600 });
      });
      return;
    }
    if (url.pathname === '/userinfo') {
      const account = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /i, ''));
      return account ? json(200, { sub: account.sub, email: account.email, email_verified: true }) : json(401, { error: 'invalid_token' });
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  provider.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  provider.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return provider;
}

/** Play the browser at the provider: open the authorization URL and read code and state off the redirect. */
async function consent(authorizationUrl: string): Promise<{ code: string; state: string }> {
  const r = await fetch(authorizationUrl, { redirect: 'manual' });
  const back = new URL(r.headers.get('location') ?? '');
  return { code: back.searchParams.get('code') ?? '', state: back.searchParams.get('state') ?? '' };
}
afterAll(async () => {
  await Promise.all([app?.close(), verifyingApp?.close(), smtp?.close(), idp?.close()]);
  await db?.drop();
});

let serial = 0;
const uniqueEmail = (prefix: string) => `${prefix}-${process.pid}-${++serial}-${Math.random().toString(36).slice(2, 8)}@example.com`;

function makeClient(target: TestApp = app, storage: SupportedStorage = memoryStorage()): { client: FluxbaseClient; events: AuthChangeEvent[]; storage: SupportedStorage } {
  const client = createClient(target.url, target.keys.anon, { auth: { storage, autoRefreshToken: false } });
  const events: AuthChangeEvent[] = [];
  client.auth.onAuthStateChange((e) => events.push(e));
  return { client, events, storage };
}

/** A user who signed up (on `app`) and then signed out, so the next sign-in is what is tested. */
async function existingUser(): Promise<string> {
  const email = uniqueEmail('flow');
  const { client } = makeClient();
  expect((await client.auth.signUp({ email, password: PASSWORD })).error).toBeNull();
  expect((await client.auth.signOut()).error).toBeNull();
  return email;
}

describe('email sign-in', () => {
  it('magic link: the mailed token signs in', async () => {
    const email = await existingUser();
    const { client, events } = makeClient();
    expect(await client.auth.signInWithMagicLink({ email, options: { redirectTo: `${SITE}/auth/done` } })).toEqual({ data: { user: null, session: null }, error: null });
    const link = linkIn(await smtp.waitFor(email));
    const res = await client.auth.verifyMagicLink(link.token);
    expect(res.error).toBeNull();
    expect(res.data?.user?.email).toBe(email);
    expect(events).toEqual(['INITIAL_SESSION', 'SIGNED_IN']);
    const replay = await makeClient().client.auth.verifyMagicLink(link.token);
    expect(replay.error?.code).toBe('INVALID_ONE_TIME_TOKEN');
  });

  it('email OTP: the mailed code signs in; shouldCreateUser creates the account', async () => {
    const email = uniqueEmail('otp-new');
    const { client } = makeClient();
    expect((await client.auth.signInWithOtp({ email, options: { shouldCreateUser: true } })).error).toBeNull();
    const res = await client.auth.verifyOtp({ email, token: codeIn(await smtp.waitFor(email)) });
    expect(res.error).toBeNull();
    expect(res.data?.user?.email).toBe(email);
    expect((await client.auth.getUser()).data?.user.email).toBe(email);
  });

  it('password reset: verify the token, confirm, sign in with the new password', async () => {
    const email = await existingUser();
    const { client, events } = makeClient();
    expect((await client.auth.resetPasswordForEmail(email)).error).toBeNull();
    const { token } = linkIn(await smtp.waitFor(email));
    expect((await client.auth.verifyPasswordReset(token)).error).toBeNull();
    const res = await client.auth.confirmPasswordReset({ token, newPassword: NEW_PASSWORD });
    expect(res.error).toBeNull();
    expect(res.data?.session).not.toBeNull();
    expect(events).toEqual(['INITIAL_SESSION', 'PASSWORD_RECOVERY']);
    const fresh = makeClient().client;
    expect((await fresh.auth.signInWithPassword({ email, password: PASSWORD })).error?.code).toBe('INVALID_CREDENTIALS');
    expect((await fresh.auth.signInWithPassword({ email, password: NEW_PASSWORD })).error).toBeNull();
  });

  it('reauthenticate mails a nonce that allows a password change', async () => {
    const email = uniqueEmail('reauth');
    const { client } = makeClient();
    await client.auth.signUp({ email, password: PASSWORD });
    expect((await client.auth.updateUser({ password: NEW_PASSWORD })).error).not.toBeNull();
    expect((await client.auth.reauthenticate()).error).toBeNull();
    const nonce = codeIn(await smtp.waitFor(email));
    expect((await client.auth.updateUser({ password: NEW_PASSWORD, nonce })).error).toBeNull();
    expect((await makeClient().client.auth.signInWithPassword({ email, password: NEW_PASSWORD })).error).toBeNull();
  });
});

describe('email verification', () => {
  it('signUp answers without a session; resend and verifyEmail confirm the address', async () => {
    const email = uniqueEmail('verify');
    const { client, storage } = makeClient(verifyingApp);
    const res = await client.auth.signUp({ email, password: PASSWORD });
    expect(res.error).toBeNull();
    expect(res.data).toMatchObject({ session: null, requiresEmailVerification: true, user: { email, email_verified: false } });
    expect(await storage.getItem('fluxbase.auth.session')).toBeNull();
    await smtp.waitFor(email);
    expect((await client.auth.signInWithPassword({ email, password: PASSWORD })).error?.code).toBe('EMAIL_NOT_VERIFIED');

    expect((await client.auth.resend({ type: 'signup', email })).error).toBeNull();
    const verified = await client.auth.verifyEmail(linkIn(await smtp.waitFor(email)).token);
    expect(verified.error).toBeNull();
    expect(verified.data?.user).toMatchObject({ email, email_verified: true });
    expect((await client.auth.signInWithPassword({ email, password: PASSWORD })).error).toBeNull();
  });
});

describe('TOTP', () => {
  /** The code `offset` steps from now. */
  const codeAt = (secret: string, offset = 0) => hotp(base32Decode(secret), totpStep(Date.now()) + offset);

  /** A 6-digit code that matches none of the accepted steps. */
  function wrongCode(secret: string): string {
    const valid = new Set([-1, 0, 1].map((o) => codeAt(secret, o)));
    for (let n = 0; ; n++) {
      const candidate = String(n).padStart(6, '0');
      if (!valid.has(candidate)) return candidate;
    }
  }

  /** Wait until the current 30 s step has enough time left for codes computed now. */
  async function stepMargin(seconds = 6): Promise<void> {
    while (30 - ((Date.now() / 1000) % 30) < seconds) await new Promise((resolve) => setTimeout(resolve, 200));
  }

  it('enroll → enable → sign-in challenge → verify (recovery code) → regenerate → unenroll', async () => {
    const email = uniqueEmail('totp');
    const { client } = makeClient();
    const userId = (await client.auth.signUp({ email, password: PASSWORD })).data?.user.id;

    const enrolled = await client.auth.mfa.enroll({ issuer: 'SDK Test' });
    expect(enrolled.error).toBeNull();
    expect(enrolled.data?.totp.uri).toContain('otpauth://totp/');
    const secret = enrolled.data?.totp.secret ?? '';
    await stepMargin();
    const enabled = await client.auth.mfa.enable({ code: codeAt(secret) });
    expect(enabled.error).toBeNull();
    expect(enabled.data?.backup_codes).toHaveLength(10);
    expect((await client.auth.mfa.status()).data).toEqual({ totp_enabled: true, recovery_codes_remaining: 10 });

    const second = makeClient();
    const signIn = await second.client.auth.signInWithPassword({ email, password: PASSWORD });
    expect(signIn.error).toBeNull();
    expect(signIn.data).toMatchObject({ user: null, session: null, mfa: { required: true, challengeToken: expect.any(String) } });
    expect(signIn.data?.mfa?.userId).toBe(userId);
    expect((await second.client.auth.getSession()).data?.session).toBeNull();

    const wrong = await second.client.auth.mfa.verify({ code: wrongCode(secret) });
    expect(wrong.error?.code).toBe('INVALID_2FA_CODE');
    const verified = await second.client.auth.mfa.verify({ code: enabled.data?.backup_codes[0] ?? '' });
    expect(verified.error).toBeNull();
    expect(second.events).toEqual(['INITIAL_SESSION', 'MFA_CHALLENGE_VERIFIED']);
    const claims = JSON.parse(Buffer.from(verified.data?.session.access_token.split('.')[1] ?? '', 'base64url').toString()) as { aal?: string };
    expect(claims.aal).toBe('aal2');

    await stepMargin();
    const regenerated = await second.client.auth.mfa.regenerateRecoveryCodes({ code: codeAt(secret, 1) });
    expect(regenerated.error).toBeNull();
    expect(regenerated.data?.backup_codes).toHaveLength(10);

    expect((await second.client.auth.mfa.unenroll({ password: PASSWORD })).error).toBeNull();
    expect((await second.client.auth.mfa.status()).data?.totp_enabled).toBe(false);
    const plain = await makeClient().client.auth.signInWithPassword({ email, password: PASSWORD });
    expect(plain.data?.session).not.toBeNull();
  });
});

describe('OAuth', () => {
  const CALLBACK = `${SITE}/auth/callback`;

  it('lists the providers and returns the authorization URL with the server state', async () => {
    const { client } = makeClient();
    const providers = await client.auth.getOAuthProviders();
    expect(providers.data?.map((p) => p.provider)).toEqual(expect.arrayContaining(['github', 'loopback']));
    const res = await client.auth.signInWithOAuth({ provider: 'github', options: { redirectTo: CALLBACK, scopes: 'read:user user:email', skipBrowserRedirect: true } });
    expect(res.error).toBeNull();
    const url = new URL(res.data?.url ?? '');
    expect(url.searchParams.get('client_id')).toBe('sdk-test-client');
    expect(url.searchParams.get('redirect_uri')).toBe(CALLBACK);
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('signs in end to end: authorize, provider consent, exchangeCodeForSession', async () => {
    const email = uniqueEmail('oauth');
    idp.account = { sub: `sub-${email}`, email };
    const { client, events } = makeClient();
    const start = await client.auth.signInWithOAuth({ provider: 'loopback', options: { redirectTo: CALLBACK, skipBrowserRedirect: true } });
    expect(start.error).toBeNull();
    const before = idp.pkceVerified;
    const { code, state } = await consent(start.data?.url ?? '');
    const res = await client.auth.exchangeCodeForSession(code, state);
    expect(res.error).toBeNull();
    expect(res.data?.user).toMatchObject({ email, email_verified: true });
    expect(idp.pkceVerified).toBe(before + 1);
    expect(events).toEqual(['INITIAL_SESSION', 'SIGNED_IN']);
    expect((await client.auth.getUser()).data?.user.email).toBe(email);
    // The flow is single use: the same callback again is refused before reaching the server.
    expect((await client.auth.exchangeCodeForSession(code, state)).error?.code).toBe('INVALID_OAUTH_STATE');
  });

  it("refuses another browser's callback (login CSRF) before asking the server", async () => {
    idp.account = { sub: 'attacker', email: uniqueEmail('attacker') };
    const attacker = makeClient().client;
    const start = await attacker.auth.signInWithOAuth({ provider: 'loopback', options: { redirectTo: CALLBACK, skipBrowserRedirect: true } });
    const planted = await consent(start.data?.url ?? '');
    const victim = makeClient().client;
    await victim.auth.signInWithOAuth({ provider: 'loopback', options: { redirectTo: CALLBACK, skipBrowserRedirect: true } });
    const res = await victim.auth.exchangeCodeForSession(planted.code, planted.state);
    expect(res.error?.code).toBe('INVALID_OAUTH_STATE');
    expect((await victim.auth.getSession()).data?.session).toBeNull();
  });

  it('links, lists and unlinks an identity of the signed-in user', async () => {
    const email = uniqueEmail('linker');
    const { client } = makeClient();
    await client.auth.signUp({ email, password: PASSWORD });
    idp.account = { sub: `linked-${email}`, email: uniqueEmail('other-address') };
    const start = await client.auth.linkIdentity({ provider: 'loopback', options: { redirectTo: CALLBACK, skipBrowserRedirect: true } });
    expect(start.error).toBeNull();
    const { code, state } = await consent(start.data?.url ?? '');
    const linked = await client.auth.exchangeCodeForSession(code, state);
    expect(linked.error).toBeNull();
    expect(linked.data?.user?.email).toBe(email);
    const list = await client.auth.getUserIdentities();
    const identity = list.data?.identities.find((i) => i.provider === 'loopback');
    expect(identity).toBeDefined();
    expect((await client.auth.unlinkIdentity({ id: identity?.id ?? '' })).error).toBeNull();
    expect((await client.auth.getUserIdentities()).data?.identities.some((i) => i.provider === 'loopback')).toBe(false);
  });

  it('refuses a redirect target outside the allow-list', async () => {
    const res = await makeClient().client.auth.signInWithOAuth({ provider: 'github', options: { redirectTo: 'https://evil.example/cb', skipBrowserRedirect: true } });
    expect(res.error?.code).toBe('INVALID_REDIRECT_URL');
  });
});
