// What the auth modules receive: configuration, the database, and the services of the
// auth core (users, passwords, sessions, sign-in completion) and of the other auth
// modules (mail, rate limits). Built once by auth/index.ts `createAuth`, passed down.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import type { RateLimitStore } from '../http/index.ts';
import type { Logger, Metrics, Tracing } from '../observability/index.ts';
import type {
  AdminUser, AmrEntry, AuthenticatorAssurance, ClientInfo, Session, SignInMethod, TwoFactorChallenge, User, UserRow,
} from './core/types.ts';

/**
 * AES-256-GCM under `encryption_key`: `base64(nonce12 ‖ ciphertext ‖ tag)` (docs/auth.md
 * "How secrets are stored").
 */
export interface SecretBox {
  encrypt(plaintext: string): string;
  /** Throws when the value was not sealed with this key (or was tampered with). */
  decrypt(sealed: string): string;
}

export interface Passwords {
  /** argon2id PHC string. */
  hash(password: string): Promise<string>;
  /** Verifies argon2id and legacy bcrypt; `rehash` is true when the hash should be upgraded. */
  verify(hash: string | null, password: string): Promise<{ ok: boolean; rehash: boolean }>;
  /** NFC-normalises and checks the policy; throws 422 WEAK_PASSWORD. Returns the normalised password. */
  validate(password: unknown): string;
}

export interface NewUser {
  email: string | null;
  /** Plain password (hashed by the store) or none. */
  password?: string | undefined;
  emailVerified?: boolean;
  role?: string;
  userMetadata?: Record<string, unknown>;
  appMetadata?: Record<string, unknown>;
  isAnonymous?: boolean;
}

export interface UserStore {
  findById(id: string): Promise<UserRow | undefined>;
  /** `email` must already be normalised (see normalizeEmail). */
  findByEmail(email: string): Promise<UserRow | undefined>;
  /** Throws 409 ALREADY_EXISTS (no database text) when the email is taken. */
  create(input: NewUser): Promise<UserRow>;
  /** Wire shapes. */
  toUser(row: UserRow): User;
  toAdminUser(row: UserRow, lock?: { failed_count: number; locked_until: Date | null }): AdminUser;
}

export interface IssueOptions {
  method: SignInMethod;
  client: ClientInfo;
  aal?: AuthenticatorAssurance;
  /** Continue an existing session (step-up): its family gets a new refresh token. */
  sessionId?: string;
  /** Earlier factors to keep in `amr` (second factor after a first). */
  amr?: AmrEntry[];
}

export interface SessionService {
  /** Create a session (or continue `sessionId`) and answer the Session shape; stamps last_sign_in_at. */
  issue(user: UserRow, options: IssueOptions): Promise<Session>;
  /**
   * Refresh with rotation, reuse interval and family revocation (docs/auth.md "Sessions and
   * refresh tokens").
   */
  refresh(refreshToken: string, client: ClientInfo): Promise<Session>;
  /** The session a refresh token belongs to (for the per-family rate limit), or null. */
  familyOf(refreshToken: string): Promise<string | null>;
  revoke(sessionId: string, reason: string): Promise<void>;
  /** Revoke all the user's live sessions, except `exceptSessionId`. Returns how many. */
  revokeUserSessions(userId: string, reason: string, exceptSessionId?: string): Promise<number>;
}

/** The caller of a protected auth route (docs/auth.md "Sessions and refresh tokens"). */
export interface AuthedUser {
  user: UserRow;
  sessionId: string;
  claims: Record<string, unknown>;
}

export interface AuthCore {
  users: UserStore;
  passwords: Passwords;
  sessions: SessionService;
  secrets: SecretBox;
  /**
   * After a successful first factor: a Session, or a TwoFactorChallenge when the user has
   * TOTP on (docs/auth.md "Signing in with 2FA"). Refuses banned users (403 ACCESS_DENIED).
   */
  completeSignIn(user: UserRow, method: SignInMethod, client: ClientInfo): Promise<Session | TwoFactorChallenge>;
  /** Start a step-up challenge for the caller's current session. */
  createStepUpChallenge(caller: AuthedUser, client: ClientInfo): Promise<{ challenge_token: string; expires_in: number }>;
  /**
   * Consume the user's newest pending challenge (and check `challengeToken` when given).
   * Throws 400 INVALID_2FA_CODE (`details.reason: no_pending_challenge`) when there is none.
   */
  consumeChallenge(userId: string, challengeToken: string | undefined): Promise<{ method: SignInMethod; sessionId: string | null }>;
  /** 401 AUTHENTICATION_REQUIRED unless the request carries a user token of a live session. */
  requireUser(request: FastifyRequest): Promise<AuthedUser>;
  /** Client IP (trusted proxies honoured) and user agent. */
  clientInfo(request: FastifyRequest): ClientInfo;
  /** Whether auth.users.role of `userId` is `admin` (read on each call). */
  isAdminUser(userId: string): Promise<boolean>;
  /** Milliseconds since the epoch for TOTP steps (Date.now; tests inject a fixed clock). */
  clock(): number;
}

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  readonly kind: 'smtp' | 'outbox';
  /** Throws 502 EMAIL_SEND_FAILED when the server refuses the message. */
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

/** Email-backed steps other auth routes call (implemented by auth/email). */
export interface EmailFlows {
  /** Send the verification link for a new (or resend for an unverified) account. */
  sendVerification(user: UserRow, redirectTo?: string): Promise<void>;
  /** Signup with an email that already has an account (verification on): tell its owner. */
  notifyExistingSignup(user: UserRow): Promise<void>;
  /** Start an email change: sets users.new_email and mails a confirmation link to it. */
  startEmailChange(user: UserRow, newEmail: string): Promise<void>;
  /** Check and consume a /reauthenticate nonce; throws 400 INVALID_ONE_TIME_TOKEN. */
  consumeReauthNonce(user: UserRow, nonce: string): Promise<void>;
}

export type AuthLimiterName = 'login' | 'signup' | 'email_send' | 'refresh' | 'totp_verify';

export interface AuthLimitKeys {
  ip: string;
  /** Normalised email (login, email_send). */
  email?: string | undefined;
  /** Session family id (refresh). */
  family?: string | undefined;
}

export interface AuthLimits {
  /**
   * Count one hit on the limiter's keys; sets X-RateLimit-* on the reply, throws 429
   * RATE_LIMITED (docs/auth.md "Rate limits") when over, or 503 when the shared store is
   * unreachable.
   */
  hit(reply: FastifyReply, name: AuthLimiterName, keys: AuthLimitKeys): Promise<void>;
}

export interface AuthDeps {
  config: Config;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  core: AuthCore;
  mailer: Mailer;
  emailFlows: EmailFlows;
  limits: AuthLimits;
  /** The shared rate-limit store (memory or Redis), for per-key limits. */
  rateLimitStore: RateLimitStore;
  /** Tracing when on (docs/tracing.md); absent when off. */
  tracing?: Tracing;
}
