// `client.auth`: sign-up and the sign-in methods, session and user access, sign-out,
// the email flows and auth-state events (supabase-js GoTrueClient naming over the routes of
// docs/auth.md). Every method answers `{ data, error }` and never throws for a failed call.
import type { FluxbaseError } from '../errors.ts';
import type { FluxbaseResponse, FluxbaseResult, Transport } from '../transport.ts';
import { AuthHttp, messageResult, objectResult, sessionResult, signInResult, userResult } from './http.ts';
import { MfaApi } from './mfa.ts';
import { OAuthFlow } from './oauth.ts';
import { asSession, asUser, isTwoFactorChallenge, jwtExpiry, toMfaRequired } from './session.ts';
import { SessionManager } from './session-manager.ts';
import { defaultStorage, memoryStorage } from './storage.ts';
import type {
  AuthChangeEvent, AuthClientOptions, AuthConfig, AuthResponse, AuthStateChangeCallback, AuthSubscription, IdTokenCredentials,
  MagicLinkCredentials, MessageResponse, MfaRequired, OAuthProvider, OAuthSignInOptions, OtpResponse, PasswordCredentials,
  RefreshResponse, ResendParams, Session, SessionResponse, SignOutScope, SignUpCredentials, SignUpResponse, SignInWithOtpCredentials,
  UpdateUserAttributes, User, UserIdentity, UserResponse, VerifyOtpParams,
} from './types.ts';

export const DEFAULT_STORAGE_KEY = 'fluxbase.auth.session';
const DEFAULT_MARGIN_SECONDS = 60;

const fail = (error: FluxbaseError): { data: null; error: FluxbaseError } => ({ data: null, error });

export class AuthClient {
  /** TOTP second factor: enroll, enable, challenge, verify, unenroll, status, recovery codes. */
  readonly mfa: MfaApi;
  private readonly http: AuthHttp;
  private readonly sessions: SessionManager;
  private readonly oauth: OAuthFlow;
  private pendingMfa: MfaRequired | null = null;

  /** Built by createClient; `onToken` tells the client which access token to send. */
  constructor(transport: Transport, apiKey: string, options: AuthClientOptions, onToken: (token: string | null) => void) {
    const storage = options.persistSession === false ? null : options.storage ?? defaultStorage();
    const storageKey = options.storageKey ?? DEFAULT_STORAGE_KEY;
    const margin = options.refreshMarginSeconds ?? DEFAULT_MARGIN_SECONDS;
    if (!Number.isFinite(margin) || margin < 0) throw new RangeError('auth.refreshMarginSeconds must be a non-negative number');
    this.sessions = new SessionManager({
      storage, storageKey, marginSeconds: margin, autoRefresh: options.autoRefreshToken ?? true, onToken,
      requestRefresh: async (refreshToken) => sessionResult(await this.http.public('POST', '/refresh', { body: { refresh_token: refreshToken } })),
    });
    this.http = new AuthHttp(transport, apiKey, this.sessions);
    // The OAuth flow record needs a store even without session persistence: the redirect leaves the page.
    this.oauth = new OAuthFlow(this.http, storage ?? memoryStorage(), `${storageKey}-oauth`, (res) => this.signedIn(res));
    this.mfa = new MfaApi(this.http, this.sessions, () => this.pendingMfa, (m) => { this.pendingMfa = m; });
  }

  /** @internal The session state, for the client's request layer. */
  get sessionManager(): SessionManager {
    return this.sessions;
  }

  // ---- sign-up and sign-in -------------------------------------------------------------

  /** Create an account. `session` is null when the server requires email verification first. */
  async signUp(credentials: SignUpCredentials): Promise<SignUpResponse> {
    const body: Record<string, unknown> = { email: credentials.email, password: credentials.password };
    if (credentials.options?.data !== undefined) body.user_metadata = credentials.options.data;
    const res = await this.http.public<unknown>('POST', '/signup', { body });
    const out = objectResult(res, 'a session or a user', (b) => {
      const session = asSession(b);
      if (session !== null) return { user: session.user, session, requiresEmailVerification: false };
      const user = asUser(b.user);
      return user === null ? undefined : { user, session: null, requiresEmailVerification: b.requires_email_verification === true };
    });
    if (out.error) return out;
    if (out.data.session !== null) await this.sessions.set(out.data.session, 'SIGNED_IN');
    return out;
  }

  /** Email and password. With TOTP on, `data.mfa` holds the challenge for `mfa.verify`. */
  async signInWithPassword(credentials: PasswordCredentials): Promise<AuthResponse> {
    return this.signedIn(await this.http.public('POST', '/signin', { body: { email: credentials.email, password: credentials.password } }));
  }

  /** Upstream Fluxbase name of signInWithPassword. */
  signIn(credentials: PasswordCredentials): Promise<AuthResponse> {
    return this.signInWithPassword(credentials);
  }

  /** A new anonymous user (the server must enable it: 404 FEATURE_DISABLED otherwise). */
  async signInAnonymously(params: { options?: { data?: Record<string, unknown> } } = {}): Promise<AuthResponse> {
    const data = params.options?.data;
    return this.signedIn(await this.http.public('POST', '/signin/anonymous', { body: data === undefined ? {} : { user_metadata: data } }));
  }

  /** An OIDC ID token obtained by the app itself (Google One Tap, Sign in with Apple). */
  async signInWithIdToken(credentials: IdTokenCredentials): Promise<AuthResponse> {
    const body: Record<string, unknown> = { provider: credentials.provider, token: credentials.token };
    if (credentials.nonce !== undefined) body.nonce = credentials.nonce;
    return this.signedIn(await this.http.public('POST', '/signin/idtoken', { body }));
  }

  /** Email a 6-digit sign-in code; `shouldCreateUser: true` lets it create the account. */
  async signInWithOtp(credentials: SignInWithOtpCredentials): Promise<OtpResponse> {
    const options: Record<string, unknown> = {};
    if (credentials.options?.shouldCreateUser !== undefined) options.should_create_user = credentials.options.shouldCreateUser;
    if (credentials.options?.purpose !== undefined) options.purpose = credentials.options.purpose;
    const body = Object.keys(options).length === 0 ? { email: credentials.email } : { email: credentials.email, options };
    return this.mailSent(await this.http.public('POST', '/otp/signin', { body }));
  }

  /** Exchange an emailed code for a session. */
  async verifyOtp(params: VerifyOtpParams): Promise<AuthResponse> {
    return this.signedIn(await this.http.public('POST', '/otp/verify', { body: { email: params.email, token: params.token, type: params.type ?? 'email' } }));
  }

  /** Email a sign-in link (the same answer for unknown emails). */
  async signInWithMagicLink(credentials: MagicLinkCredentials): Promise<OtpResponse> {
    const body: Record<string, unknown> = { email: credentials.email };
    if (credentials.options?.redirectTo !== undefined) body.redirect_to = credentials.options.redirectTo;
    return this.mailSent(await this.http.public('POST', '/magiclink', { body }));
  }

  /** Exchange the token of a magic link for a session. */
  async verifyMagicLink(token: string): Promise<AuthResponse> {
    return this.signedIn(await this.http.public('POST', '/magiclink/verify', { body: { token } }));
  }

  /** Start an OAuth sign-in: `data.url` is the provider's page (navigated to in a browser unless skipBrowserRedirect). */
  signInWithOAuth(params: { provider: string; options?: OAuthSignInOptions }): Promise<FluxbaseResult<{ provider: string; url: string }>> {
    return this.oauth.start(params.provider, params.options ?? {});
  }

  /** Finish an OAuth sign-in on the redirect page with the `code` and `state` query parameters. */
  exchangeCodeForSession(code: string, state: string): Promise<AuthResponse> {
    return this.oauth.exchange(code, state);
  }

  /** Providers enabled on the server. */
  async getOAuthProviders(): Promise<FluxbaseResult<OAuthProvider[]>> {
    return objectResult(await this.http.public('GET', '/oauth/providers'), 'a provider list', (b) => (Array.isArray(b.providers) ? b.providers as OAuthProvider[] : undefined));
  }

  /** The provider's own tokens for the signed-in user's identity. */
  async getProviderToken(provider: string): Promise<FluxbaseResult<{ access_token: string; refresh_token?: string; expires_at?: string }>> {
    return objectResult(await this.http.user('GET', `/oauth/${encodeURIComponent(provider)}/token`), 'provider tokens',
      (b) => (typeof b.access_token === 'string' ? b as { access_token: string } : undefined));
  }

  // ---- session and user ----------------------------------------------------------------

  /** The current session from storage, refreshed first when it is about to expire; `null` when signed out. */
  async getSession(): Promise<SessionResponse> {
    const res = await this.sessions.fresh();
    return res.error ? fail(res.error) : { data: { session: res.data }, error: null };
  }

  /** The signed-in user as the server has it now (`GET /user`). */
  async getUser(): Promise<UserResponse> {
    const res = userResult(await this.http.user('GET', '/user'));
    return res.error ? res : { data: { user: res.data }, error: null };
  }

  /** Change email (confirmed by mail), password (with `currentPassword` or a reauthentication `nonce`) or `user_metadata` (`data`). */
  async updateUser(attributes: UpdateUserAttributes): Promise<UserResponse> {
    const body: Record<string, unknown> = {};
    if (attributes.email !== undefined) body.email = attributes.email;
    if (attributes.password !== undefined) body.password = attributes.password;
    if (attributes.currentPassword !== undefined) body.current_password = attributes.currentPassword;
    if (attributes.nonce !== undefined) body.nonce = attributes.nonce;
    if (attributes.data !== undefined) body.user_metadata = attributes.data;
    const res = userResult(await this.http.user('PATCH', '/user', { body }));
    if (res.error) return res;
    await this.sessions.updateUser(res.data);
    return { data: { user: res.data }, error: null };
  }

  /** Adopt tokens obtained elsewhere (a server-rendered page, another client). */
  async setSession(tokens: { access_token: string; refresh_token: string }): Promise<AuthResponse> {
    const exp = jwtExpiry(tokens.access_token);
    if (exp === undefined || exp * 1000 <= Date.now()) {
      const refreshed = await this.sessions.refresh(tokens.refresh_token);
      return refreshed.error ? refreshed : { data: { user: refreshed.data.user, session: refreshed.data }, error: null };
    }
    const res = userResult(await this.http.withToken(tokens.access_token, 'GET', '/user'));
    if (res.error) return res;
    const now = Math.floor(Date.now() / 1000);
    const session: Session = { ...tokens, user: res.data, token_type: 'bearer', expires_at: exp, expires_in: exp - now };
    await this.sessions.set(session, 'SIGNED_IN');
    return { data: { user: session.user, session }, error: null };
  }

  /** Rotate the refresh token now. Concurrent calls share one request. */
  async refreshSession(current?: { refresh_token: string }): Promise<RefreshResponse> {
    await this.sessions.ready;
    const res = await this.sessions.refresh(current?.refresh_token);
    return res.error ? res : { data: { user: res.data.user, session: res.data }, error: null };
  }

  /**
   * End the session: `local` (default) this one, `global` all of the user's, `others` all
   * but this one (kept locally). The local session is cleared even when the server
   * already considered it over.
   */
  async signOut(options: { scope?: SignOutScope } = {}): Promise<{ error: FluxbaseError | null }> {
    const scope = options.scope ?? 'local';
    await this.sessions.ready;
    if (this.sessions.current() === null) return { error: null };
    const res = await this.http.user('POST', '/signout', { body: { scope } });
    if (scope === 'others') return { error: res.error };
    await this.sessions.clear();
    // 401/403/404: the server already ended the session, which is what was asked for.
    const alreadyOver = res.error !== null && ([401, 403, 404].includes(res.error.status) || res.error.code === 'AUTH_SESSION_MISSING');
    return { error: alreadyOver ? null : res.error };
  }

  /** Listen for SIGNED_IN, SIGNED_OUT, TOKEN_REFRESHED, USER_UPDATED, MFA_CHALLENGE_VERIFIED, PASSWORD_RECOVERY; INITIAL_SESSION comes first. */
  onAuthStateChange(callback: AuthStateChangeCallback): { data: { subscription: AuthSubscription } } {
    return { data: { subscription: this.sessions.subscribe(callback) } };
  }

  /** Resume the refresh timer (after stopAutoRefresh, or with autoRefreshToken: false). */
  startAutoRefresh(): void {
    this.sessions.startAutoRefresh();
  }

  /** Stop refreshing on a timer (e.g. while a tab is hidden); data requests still refresh when due. */
  stopAutoRefresh(): void {
    this.sessions.stopAutoRefresh();
  }

  // ---- email flows -----------------------------------------------------------------------

  /** Email a password-reset link (the same answer for unknown emails). */
  async resetPasswordForEmail(email: string, options: { redirectTo?: string } = {}): Promise<OtpResponse> {
    const body: Record<string, unknown> = { email };
    if (options.redirectTo !== undefined) body.redirect_to = options.redirectTo;
    return this.mailSent(await this.http.public('POST', '/password/reset', { body }));
  }

  /** Check a reset token before asking for the new password. */
  async verifyPasswordReset(token: string): Promise<MessageResponse> {
    return messageResult(await this.http.public('POST', '/password/reset/verify', { body: { token } }));
  }

  /** Set the new password; signs in (event PASSWORD_RECOVERY) and ends the user's other sessions. */
  async confirmPasswordReset(params: { token: string; newPassword: string }): Promise<AuthResponse> {
    return this.signedIn(await this.http.public('POST', '/password/reset/confirm', { body: { token: params.token, new_password: params.newPassword } }), 'PASSWORD_RECOVERY');
  }

  /** Confirm an email address with the token of the verification mail. */
  async verifyEmail(token: string): Promise<FluxbaseResult<{ user: User; message: string }>> {
    const res = objectResult(await this.http.public('POST', '/verify-email', { body: { token } }), 'a user', (b) => {
      const user = asUser(b.user);
      return user === null ? undefined : { user, message: typeof b.message === 'string' ? b.message : '' };
    });
    if (!res.error) await this.sessions.updateUser(res.data.user);
    return res;
  }

  /** Send again: `signup` the verification mail, `email`/`otp` a sign-in code. */
  async resend(params: ResendParams): Promise<MessageResponse> {
    const path = params.type === 'signup' ? '/verify-email/resend' : '/otp/resend';
    return messageResult(await this.http.public('POST', path, { body: { email: params.email } }));
  }

  /** Email the signed-in user a nonce for `updateUser({ password, nonce })`. */
  async reauthenticate(): Promise<MessageResponse> {
    return messageResult(await this.http.user('POST', '/reauthenticate'));
  }

  // ---- identities and configuration ------------------------------------------------------

  /** OAuth identities linked to the signed-in user. */
  async getUserIdentities(): Promise<FluxbaseResult<{ identities: UserIdentity[] }>> {
    return objectResult(await this.http.user('GET', '/user/identities'), 'an identity list',
      (b) => (Array.isArray(b.identities) ? { identities: b.identities as UserIdentity[] } : undefined));
  }

  /** Start linking another provider: returns its authorization URL (navigated to unless skipBrowserRedirect). */
  linkIdentity(params: { provider: string; options?: OAuthSignInOptions }): Promise<FluxbaseResult<{ provider: string; url: string }>> {
    return this.oauth.link(params.provider, params.options ?? {});
  }

  async unlinkIdentity(identity: { id: string }): Promise<FluxbaseResult<{ success: true }>> {
    return objectResult(await this.http.user('DELETE', `/user/identities/${encodeURIComponent(identity.id)}`), 'a success answer', () => ({ success: true as const }));
  }

  /** The sign-up, password and provider settings the server enforces. */
  async getAuthConfig(): Promise<FluxbaseResult<AuthConfig>> {
    return objectResult(await this.http.public('GET', '/config'), 'the auth configuration',
      (b) => (typeof b.signup_enabled === 'boolean' ? b as unknown as AuthConfig : undefined));
  }

  // ---- answers ------------------------------------------------------------------------------

  /** Turn a Session / TwoFactorChallenge answer into the sign-in result, storing the session. */
  private async signedIn(res: FluxbaseResponse<unknown>, event: AuthChangeEvent = 'SIGNED_IN'): Promise<AuthResponse> {
    const out = signInResult(res);
    if (out.error) return out;
    if (isTwoFactorChallenge(out.data)) {
      this.pendingMfa = toMfaRequired(out.data);
      return { data: { user: null, session: null, mfa: this.pendingMfa }, error: null };
    }
    this.pendingMfa = null;
    await this.sessions.set(out.data, event);
    return { data: { user: out.data.user, session: out.data }, error: null };
  }

  private mailSent(res: FluxbaseResponse<unknown>): OtpResponse {
    const out = messageResult(res);
    return out.error ? out : { data: { user: null, session: null }, error: null };
  }
}
