// client.auth at the request level, against a fetch double: which route each method calls
// with which body and credential, and how answers (Session, TwoFactorChallenge, errors,
// mail-only answers) become `{ data, error }` results and stored sessions.
import { describe, expect, it } from 'vitest';
import { createClient, type AuthChangeEvent, type FluxbaseClient } from '../index.ts';
import { ANON, BASE, errorReply, fakeServer, makeSession, makeUser, type FakeServer } from './fake-server.test-helper.ts';
import { memoryStorage } from './storage.ts';
import type { Session, SupportedStorage } from './types.ts';

const A = '/api/v1/auth';

function setup(routes: FakeServer['routes'] = {}, storage: SupportedStorage = memoryStorage()): { client: FluxbaseClient; server: FakeServer; storage: SupportedStorage; events: AuthChangeEvent[] } {
  const server = fakeServer(routes);
  const client = createClient(BASE, ANON, { fetch: server.fetch, auth: { storage, autoRefreshToken: false } });
  const events: AuthChangeEvent[] = [];
  client.auth.onAuthStateChange((event) => events.push(event));
  return { client, server, storage, events };
}

async function signedIn(routes: FakeServer['routes'] = {}): Promise<ReturnType<typeof setup> & { session: Session }> {
  const session = makeSession();
  const ctx = setup({ [`POST ${A}/signin`]: () => ({ body: session }), ...routes });
  const res = await ctx.client.auth.signInWithPassword({ email: 'ann@example.com', password: 'pw-123456' });
  expect(res.error).toBeNull();
  return { ...ctx, session };
}

describe('signUp', () => {
  it('maps options.data to user_metadata, stores the session and emits SIGNED_IN', async () => {
    const session = makeSession();
    const { client, server, storage, events } = setup({ [`POST ${A}/signup`]: () => ({ status: 201, body: session }) });
    const res = await client.auth.signUp({ email: 'ann@example.com', password: 'pw-123456', options: { data: { name: 'Ann' } } });
    expect(res).toEqual({ data: { user: session.user, session, requiresEmailVerification: false }, error: null });
    const req = server.last(`POST ${A}/signup`);
    expect(req?.body).toEqual({ email: 'ann@example.com', password: 'pw-123456', user_metadata: { name: 'Ann' } });
    expect(req?.headers.get('authorization')).toBe(`Bearer ${ANON}`);
    expect(req?.headers.get('apikey')).toBe(ANON);
    expect(JSON.parse(String(await storage.getItem('fluxbase.auth.session')))).toEqual(session);
    expect(events).toEqual(['INITIAL_SESSION', 'SIGNED_IN']);
  });

  it('returns a null session when email verification is required', async () => {
    const user = makeUser({ email_verified: false });
    const { client, storage, events } = setup({ [`POST ${A}/signup`]: () => ({ status: 201, body: { user, requires_email_verification: true, message: 'Check your email' } }) });
    const res = await client.auth.signUp({ email: 'ann@example.com', password: 'pw-123456' });
    expect(res).toEqual({ data: { user, session: null, requiresEmailVerification: true }, error: null });
    expect(await storage.getItem('fluxbase.auth.session')).toBeNull();
    expect(events).toEqual(['INITIAL_SESSION']);
  });
});

describe('sign-in answers', () => {
  it('a TwoFactorChallenge becomes data.mfa and stores nothing', async () => {
    const challenge = { requires_2fa: true, user_id: 'u-1', challenge_token: 'ct-1', expires_in: 300, message: '2FA verification required. Please provide your 2FA code.' };
    const { client, storage, events } = setup({ [`POST ${A}/signin`]: () => ({ body: challenge }) });
    const res = await client.auth.signInWithPassword({ email: 'ann@example.com', password: 'pw' });
    expect(res).toEqual({
      data: { user: null, session: null, mfa: { required: true, userId: 'u-1', challengeToken: 'ct-1', expiresIn: 300, message: challenge.message } },
      error: null,
    });
    expect(await storage.getItem('fluxbase.auth.session')).toBeNull();
    expect(events).toEqual(['INITIAL_SESSION']);
  });

  it('mfa.verify answers the pending challenge and emits MFA_CHALLENGE_VERIFIED', async () => {
    const session = makeSession();
    const { client, server, events } = setup({
      [`POST ${A}/signin`]: () => ({ body: { requires_2fa: true, user_id: 'u-1', challenge_token: 'ct-1', expires_in: 300, message: 'm' } }),
      [`POST ${A}/2fa/verify`]: () => ({ body: session }),
    });
    await client.auth.signInWithPassword({ email: 'ann@example.com', password: 'pw' });
    const res = await client.auth.mfa.verify({ code: '123456' });
    expect(res).toEqual({ data: { user: session.user, session }, error: null });
    expect(server.last(`POST ${A}/2fa/verify`)?.body).toEqual({ user_id: 'u-1', code: '123456', challenge_token: 'ct-1' });
    expect(events).toEqual(['INITIAL_SESSION', 'MFA_CHALLENGE_VERIFIED']);
    expect((await client.auth.getSession()).data?.session).toEqual(session);
  });

  it('an error answer is { data: null, error } with the server code', async () => {
    const { client } = setup({ [`POST ${A}/signin`]: () => errorReply(401, 'INVALID_CREDENTIALS', 'Invalid email or password') });
    const res = await client.auth.signInWithPassword({ email: 'ann@example.com', password: 'wrong' });
    expect(res.data).toBeNull();
    expect(res.error).toMatchObject({ status: 401, code: 'INVALID_CREDENTIALS', error: 'Invalid email or password', requestId: 'rid' });
  });

  it('a 200 that is neither a session nor a challenge is INVALID_RESPONSE', async () => {
    const { client } = setup({ [`POST ${A}/signin`]: () => ({ body: { hello: 'world' } }) });
    const res = await client.auth.signInWithPassword({ email: 'ann@example.com', password: 'pw' });
    expect(res.error?.code).toBe('INVALID_RESPONSE');
  });

  it('a sign-in sends the API key, not a stored (maybe expired) user token', async () => {
    const { client, server } = await signedIn();
    await client.auth.signInWithPassword({ email: 'ann@example.com', password: 'pw' });
    expect(server.count(`POST ${A}/signin`)).toBe(2);
    expect(server.last(`POST ${A}/signin`)?.headers.get('authorization')).toBe(`Bearer ${ANON}`);
  });
});

describe('public routes: path and body', () => {
  const session = makeSession();
  const mail = { user: null, session: null };
  it.each<[string, (c: FluxbaseClient) => Promise<{ error: unknown }>, string, unknown, unknown]>([
    ['signInWithOtp', (c) => c.auth.signInWithOtp({ email: 'a@x.io', options: { shouldCreateUser: true } }), `POST ${A}/otp/signin`, { email: 'a@x.io', options: { should_create_user: true } }, mail],
    ['signInWithOtp without options', (c) => c.auth.signInWithOtp({ email: 'a@x.io' }), `POST ${A}/otp/signin`, { email: 'a@x.io' }, mail],
    ['verifyOtp', (c) => c.auth.verifyOtp({ email: 'a@x.io', token: '123456' }), `POST ${A}/otp/verify`, { email: 'a@x.io', token: '123456', type: 'email' }, session],
    ['signInWithMagicLink', (c) => c.auth.signInWithMagicLink({ email: 'a@x.io', options: { redirectTo: 'https://app/x' } }), `POST ${A}/magiclink`, { email: 'a@x.io', redirect_to: 'https://app/x' }, mail],
    ['verifyMagicLink', (c) => c.auth.verifyMagicLink('tok'), `POST ${A}/magiclink/verify`, { token: 'tok' }, session],
    ['signInWithIdToken', (c) => c.auth.signInWithIdToken({ provider: 'google', token: 'idt', nonce: 'n' }), `POST ${A}/signin/idtoken`, { provider: 'google', token: 'idt', nonce: 'n' }, session],
    ['signInAnonymously', (c) => c.auth.signInAnonymously({ options: { data: { theme: 'dark' } } }), `POST ${A}/signin/anonymous`, { user_metadata: { theme: 'dark' } }, session],
    ['resetPasswordForEmail', (c) => c.auth.resetPasswordForEmail('a@x.io', { redirectTo: 'https://app/r' }), `POST ${A}/password/reset`, { email: 'a@x.io', redirect_to: 'https://app/r' }, mail],
    ['verifyPasswordReset', (c) => c.auth.verifyPasswordReset('rt'), `POST ${A}/password/reset/verify`, { token: 'rt' }, { message: 'Token is valid' }],
    ['confirmPasswordReset', (c) => c.auth.confirmPasswordReset({ token: 'rt', newPassword: 'n3w-passw0rd' }), `POST ${A}/password/reset/confirm`, { token: 'rt', new_password: 'n3w-passw0rd' }, session],
    ['resend signup', (c) => c.auth.resend({ type: 'signup', email: 'a@x.io' }), `POST ${A}/verify-email/resend`, { email: 'a@x.io' }, { message: 'sent' }],
    ['resend email', (c) => c.auth.resend({ type: 'email', email: 'a@x.io' }), `POST ${A}/otp/resend`, { email: 'a@x.io' }, mail],
    ['verifyEmail', (c) => c.auth.verifyEmail('vt'), `POST ${A}/verify-email`, { token: 'vt' }, { message: 'verified', user: makeUser() }],
    ['getAuthConfig', (c) => c.auth.getAuthConfig(), `GET ${A}/config`, undefined, { signup_enabled: true }],
    ['getOAuthProviders', (c) => c.auth.getOAuthProviders(), `GET ${A}/oauth/providers`, undefined, { providers: [] }],
  ])('%s', async (_name, call, route, body, reply) => {
    const { client, server } = setup({ [route]: () => ({ body: reply }) });
    const res = await call(client);
    expect(res.error).toBeNull();
    expect(server.count(route)).toBe(1);
    const req = server.last(route);
    expect(req?.body).toEqual(body);
    expect(req?.headers.get('authorization')).toBe(`Bearer ${ANON}`);
  });

  it('mail-only answers are { user: null, session: null }', async () => {
    const { client } = setup({ [`POST ${A}/magiclink`]: () => ({ body: { user: null, session: null } }) });
    expect(await client.auth.signInWithMagicLink({ email: 'a@x.io' })).toEqual({ data: { user: null, session: null }, error: null });
  });

  it('confirmPasswordReset signs in with the PASSWORD_RECOVERY event', async () => {
    const session = makeSession();
    const { client, events } = setup({ [`POST ${A}/password/reset/confirm`]: () => ({ body: session }) });
    await client.auth.confirmPasswordReset({ token: 't', newPassword: 'n3w-passw0rd' });
    expect(events).toEqual(['INITIAL_SESSION', 'PASSWORD_RECOVERY']);
  });
});

describe('protected routes', () => {
  it('without a session: AUTH_SESSION_MISSING and no request', async () => {
    const { client, server } = setup();
    for (const res of [await client.auth.getUser(), await client.auth.updateUser({ data: {} }), await client.auth.mfa.status(), await client.auth.reauthenticate()]) {
      expect(res.data).toBeNull();
      expect(res.error?.code).toBe('AUTH_SESSION_MISSING');
    }
    expect(server.seen).toHaveLength(0);
  });

  it('getUser sends the user token', async () => {
    const { client, server, session } = await signedIn({ [`GET ${A}/user`]: () => ({ body: makeUser({ user_metadata: { n: 1 } }) }) });
    const res = await client.auth.getUser();
    expect(res.data?.user.user_metadata).toEqual({ n: 1 });
    expect(server.last(`GET ${A}/user`)?.headers.get('authorization')).toBe(`Bearer ${session.access_token}`);
  });

  it('updateUser maps the attributes, updates the stored user and emits USER_UPDATED', async () => {
    const updated = makeUser({ user_metadata: { theme: 'dark' } });
    const { client, server, storage, events } = await signedIn({ [`PATCH ${A}/user`]: () => ({ body: updated }) });
    const res = await client.auth.updateUser({ data: { theme: 'dark' }, password: 'n3w-passw0rd', currentPassword: 'old', nonce: '123456', email: 'b@x.io' });
    expect(res).toEqual({ data: { user: updated }, error: null });
    expect(server.last(`PATCH ${A}/user`)?.body).toEqual({ user_metadata: { theme: 'dark' }, password: 'n3w-passw0rd', current_password: 'old', nonce: '123456', email: 'b@x.io' });
    expect(JSON.parse(String(await storage.getItem('fluxbase.auth.session'))).user).toEqual(updated);
    expect(events).toEqual(['INITIAL_SESSION', 'SIGNED_IN', 'USER_UPDATED']);
  });

  it.each<[string, (c: FluxbaseClient) => Promise<{ error: unknown }>, string, unknown, unknown]>([
    ['mfa.enroll', (c) => c.auth.mfa.enroll({ issuer: 'Acme' }), `POST ${A}/2fa/setup`, { issuer: 'Acme' }, { id: 'f', type: 'totp', totp: { qr_code: 'data:', secret: 'S', uri: 'otpauth://' } }],
    ['mfa.enable', (c) => c.auth.mfa.enable({ code: '123456' }), `POST ${A}/2fa/enable`, { code: '123456' }, { success: true, backup_codes: ['AAAAA-BBBBB'], message: 'ok' }],
    ['mfa.challenge', (c) => c.auth.mfa.challenge(), `POST ${A}/2fa/challenge`, undefined, { challenge_token: 'st', expires_in: 300 }],
    ['mfa.unenroll', (c) => c.auth.mfa.unenroll({ password: 'pw' }), `POST ${A}/2fa/disable`, { password: 'pw' }, { success: true, message: 'off' }],
    ['mfa.status', (c) => c.auth.mfa.status(), `GET ${A}/2fa/status`, undefined, { totp_enabled: false, recovery_codes_remaining: 0 }],
    ['mfa.regenerateRecoveryCodes', (c) => c.auth.mfa.regenerateRecoveryCodes({ code: '123456' }), `POST ${A}/2fa/recovery-codes`, { code: '123456' }, { backup_codes: ['A'] }],
    ['reauthenticate', (c) => c.auth.reauthenticate(), `POST ${A}/reauthenticate`, undefined, { message: 'sent' }],
    ['getUserIdentities', (c) => c.auth.getUserIdentities(), `GET ${A}/user/identities`, undefined, { identities: [] }],
    ['unlinkIdentity', (c) => c.auth.unlinkIdentity({ id: 'id/1' }), `DELETE ${A}/user/identities/id%2F1`, undefined, { success: true }],
    ['getProviderToken', (c) => c.auth.getProviderToken('github'), `GET ${A}/oauth/github/token`, undefined, { access_token: 'gho' }],
  ])('%s', async (_name, call, route, body, reply) => {
    const { client, server, session } = await signedIn({ [route]: () => ({ body: reply }) });
    const res = await call(client);
    expect(res.error).toBeNull();
    const req = server.last(route);
    expect(req?.body).toEqual(body);
    expect(req?.headers.get('authorization')).toBe(`Bearer ${session.access_token}`);
  });

  it('mfa.enable marks the stored user totp_enabled', async () => {
    const { client } = await signedIn({ [`POST ${A}/2fa/enable`]: () => ({ body: { success: true, backup_codes: [], message: '' } }) });
    await client.auth.mfa.enable({ code: '123456' });
    expect((await client.auth.getSession()).data?.session?.user.totp_enabled).toBe(true);
  });
});

describe('signOut', () => {
  it('posts the scope with the user token, clears storage and emits SIGNED_OUT', async () => {
    const { client, server, storage, events, session } = await signedIn({ [`POST ${A}/signout`]: () => ({ body: { message: 'Successfully signed out' } }) });
    expect(await client.auth.signOut({ scope: 'global' })).toEqual({ error: null });
    const req = server.last(`POST ${A}/signout`);
    expect(req?.body).toEqual({ scope: 'global' });
    expect(req?.headers.get('authorization')).toBe(`Bearer ${session.access_token}`);
    expect(await storage.getItem('fluxbase.auth.session')).toBeNull();
    expect((await client.auth.getSession()).data?.session).toBeNull();
    expect(events).toEqual(['INITIAL_SESSION', 'SIGNED_IN', 'SIGNED_OUT']);
  });

  it('scope others keeps the local session', async () => {
    const { client, events } = await signedIn({ [`POST ${A}/signout`]: () => ({ body: { message: 'ok' } }) });
    expect(await client.auth.signOut({ scope: 'others' })).toEqual({ error: null });
    expect((await client.auth.getSession()).data?.session).not.toBeNull();
    expect(events).not.toContain('SIGNED_OUT');
  });

  it('a session the server already ended is still cleared, without an error', async () => {
    const { client, events } = await signedIn({ [`POST ${A}/signout`]: () => errorReply(401, 'TOKEN_REVOKED') });
    expect(await client.auth.signOut()).toEqual({ error: null });
    expect(events.at(-1)).toBe('SIGNED_OUT');
  });

  it('a server failure is reported, the local session is cleared anyway', async () => {
    const { client } = await signedIn({ [`POST ${A}/signout`]: () => errorReply(503, 'SERVICE_UNAVAILABLE') });
    expect((await client.auth.signOut()).error?.code).toBe('SERVICE_UNAVAILABLE');
    expect((await client.auth.getSession()).data?.session).toBeNull();
  });

  it('without a session it is a no-op', async () => {
    const { client, server } = setup();
    expect(await client.auth.signOut()).toEqual({ error: null });
    expect(server.seen).toHaveLength(0);
  });
});

describe('setSession', () => {
  it('checks the access token with GET /user and stores the session', async () => {
    const session = makeSession();
    const { client, server, events } = setup({ [`GET ${A}/user`]: () => ({ body: session.user }) });
    const res = await client.auth.setSession({ access_token: session.access_token, refresh_token: session.refresh_token });
    expect(res.data?.session?.access_token).toBe(session.access_token);
    expect(res.data?.session?.expires_at).toBe(session.expires_at);
    expect(server.last(`GET ${A}/user`)?.headers.get('authorization')).toBe(`Bearer ${session.access_token}`);
    expect(events).toEqual(['INITIAL_SESSION', 'SIGNED_IN']);
  });

  it('refreshes with the given refresh token when the access token has expired', async () => {
    const expired = makeSession({ expiresIn: -10 });
    const fresh = makeSession();
    const { client, server } = setup({ [`POST ${A}/refresh`]: () => ({ body: fresh }) });
    const res = await client.auth.setSession({ access_token: expired.access_token, refresh_token: expired.refresh_token });
    expect(res.data?.session).toEqual(fresh);
    expect(server.last(`POST ${A}/refresh`)?.body).toEqual({ refresh_token: expired.refresh_token });
  });
});
