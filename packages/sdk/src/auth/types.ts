// Shapes of `client.auth`: the wire objects of docs/auth.md (User, Session, AuthConfig,
// TwoFactorChallenge) and the SDK's own results, options and events. Types only; nothing
// here exists at run time.
import type { FluxbaseResult } from '../transport.ts';

/** User (docs/auth.md "Users and passwords"). Never carries hashes, secrets or lock fields. */
export interface User {
  id: string;
  email: string | null;
  email_verified: boolean;
  phone: null;
  /** `auth.users.role`: `authenticated`, `admin`, … (set by admins only). */
  role: string;
  user_metadata: Record<string, unknown>;
  app_metadata: Record<string, unknown>;
  is_anonymous: boolean;
  totp_enabled: boolean;
  /** Set while an email change waits for confirmation. */
  new_email?: string;
  created_at: string;
  updated_at: string;
  last_sign_in_at: string | null;
}

/** Session (docs/auth.md "Users and passwords"), as the server sends it and the SDK stores it. */
export interface Session {
  user: User;
  access_token: string;
  /** Opaque, single use: every refresh rotates it. */
  refresh_token: string;
  token_type: 'bearer';
  /** Lifetime of the access token in seconds at issue time. */
  expires_in: number;
  /** Unix seconds when the access token expires. */
  expires_at: number;
}

/**
 * TwoFactorChallenge (docs/auth.md "Signing in with 2FA"): the first factor passed, a TOTP
 * or recovery code is due.
 */
export interface TwoFactorChallenge {
  requires_2fa: true;
  user_id: string;
  challenge_token: string;
  expires_in: number;
  message: string;
}

/** AuthConfig (docs/auth.md "Configuration"): the values the server enforces. */
export interface AuthConfig {
  signup_enabled: boolean;
  require_email_verification: boolean;
  magic_link_enabled: boolean;
  password_login_enabled: boolean;
  anonymous_signin_enabled: boolean;
  mfa_available: boolean;
  password_min_length: number;
  password_max_length: number;
  oauth_providers: string[];
  captcha: { enabled: boolean };
}

/**
 * The second step a sign-in asks for. The SDK keeps it too, so `auth.mfa.verify({ code })`
 * works without repeating `userId` and `challengeToken`.
 */
export interface MfaRequired {
  required: true;
  userId: string;
  challengeToken: string;
  /** Seconds the challenge stays valid (300). */
  expiresIn: number;
  message: string;
}

/**
 * What every sign-in method resolves to on success: a session, or (TOTP enabled) the
 * challenge `{ user: null, session: null, mfa: { required: true, userId, challengeToken } }`.
 */
export type SignInData =
  | { user: User; session: Session; mfa?: undefined }
  | { user: null; session: null; mfa: MfaRequired };

export type AuthResponse = FluxbaseResult<SignInData>;
/** signUp: `session` is null when the server requires email verification first. */
export type SignUpResponse = FluxbaseResult<{ user: User; session: Session | null; requiresEmailVerification: boolean }>;
/** Calls that only send mail: the Supabase `{ user: null, session: null }` answer. */
export type OtpResponse = FluxbaseResult<{ user: null; session: null }>;
export type MessageResponse = FluxbaseResult<{ message: string }>;
export type UserResponse = FluxbaseResult<{ user: User }>;
export type SessionResponse = FluxbaseResult<{ session: Session | null }>;
export type RefreshResponse = FluxbaseResult<{ user: User; session: Session }>;

/**
 * Events of `onAuthStateChange`, in supabase-js spelling. INITIAL_SESSION goes to each new
 * listener once the stored session is loaded; PASSWORD_RECOVERY follows a confirmed reset.
 */
export type AuthChangeEvent =
  | 'INITIAL_SESSION' | 'SIGNED_IN' | 'SIGNED_OUT' | 'TOKEN_REFRESHED' | 'USER_UPDATED'
  | 'MFA_CHALLENGE_VERIFIED' | 'PASSWORD_RECOVERY';

export type AuthStateChangeCallback = (event: AuthChangeEvent, session: Session | null) => void;

export interface AuthSubscription {
  unsubscribe(): void;
}

/**
 * Where the session is kept. Methods may be sync (localStorage) or async (React Native
 * AsyncStorage, IndexedDB wrappers).
 */
export interface SupportedStorage {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

export interface AuthClientOptions {
  /** Keep the session in `storage`. Default: true. With false it lives in memory only. */
  persistSession?: boolean;
  /** Default: `localStorage` when the global exists and works, else an in-memory store. */
  storage?: SupportedStorage;
  /** Key of the session in storage; the OAuth flow uses `<key>-oauth`. Default: `fluxbase.auth.session`. */
  storageKey?: string;
  /** Refresh the access token before it expires. Default: true. */
  autoRefreshToken?: boolean;
  /** Seconds before expiry at which the refresh happens (at most half the token lifetime). Default: 60. */
  refreshMarginSeconds?: number;
  /** Refresh once and retry when a data request is answered 401 EXPIRED_TOKEN. Default: true. */
  retryOnExpiredToken?: boolean;
}

export interface SignUpCredentials {
  email: string;
  password: string;
  options?: { data?: Record<string, unknown> };
}

export interface PasswordCredentials {
  email: string;
  password: string;
}

export interface SignInWithOtpCredentials {
  email: string;
  options?: { shouldCreateUser?: boolean; purpose?: string };
}

export interface VerifyOtpParams {
  email: string;
  token: string;
  type?: 'email';
}

export interface MagicLinkCredentials {
  email: string;
  options?: { redirectTo?: string };
}

export interface IdTokenCredentials {
  provider: string;
  token: string;
  nonce?: string;
}

export interface OAuthSignInOptions {
  /** Where the provider sends the browser back with `?code&state` (the page that calls exchangeCodeForSession). Must be allow-listed on the server. */
  redirectTo?: string;
  /** Extra scopes, joined with spaces when given as an array. */
  scopes?: string | string[];
  /** Return the URL without navigating, also in a browser. Default: false (navigate when `location` exists). */
  skipBrowserRedirect?: boolean;
}

export interface OAuthProvider {
  provider: string;
  display_name: string;
  authorize_url: string;
}

export interface UpdateUserAttributes {
  email?: string;
  password?: string;
  /** Current password, required for a password change unless `nonce` is sent. */
  currentPassword?: string;
  /** The code `reauthenticate()` emailed. */
  nonce?: string;
  /** New `user_metadata` (Supabase's `data`). */
  data?: Record<string, unknown>;
}

export type SignOutScope = 'local' | 'global' | 'others';

/** `resend`: `signup` re-sends the verification mail, `email` (or `otp`) a new sign-in code. */
export interface ResendParams {
  type: 'signup' | 'email' | 'otp';
  email: string;
}

export interface UserIdentity {
  id: string;
  provider: string;
  [field: string]: unknown;
}

export interface TotpEnrollment {
  id: string;
  type: 'totp';
  totp: { qr_code: string; secret: string; uri: string };
}

export interface TotpStatus {
  totp_enabled: boolean;
  recovery_codes_remaining: number;
}

export interface MfaVerifyParams {
  /** TOTP code or a recovery code. */
  code: string;
  /** Default: the pending challenge of the last sign-in, else the current user. */
  userId?: string;
  /** Default: the pending challenge of the last sign-in or `challenge()`. */
  challengeToken?: string;
}
