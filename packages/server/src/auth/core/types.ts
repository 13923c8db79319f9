// Auth shapes shared by every auth module: the stored user row, the wire shapes of
// docs/auth.md (User, AdminUser, Session, TwoFactorChallenge) and the request facts a
// sign-in records (method, IP, user agent).

/** A row of auth.users as the core reads it (column names as in the table). */
export interface UserRow {
  id: string;
  email: string | null;
  encrypted_password: string | null;
  email_verified: boolean;
  email_verified_at: Date | null;
  role: string;
  user_metadata: Record<string, unknown>;
  app_metadata: Record<string, unknown>;
  is_anonymous: boolean;
  new_email: string | null;
  banned_until: Date | null;
  totp_enabled: boolean;
  last_sign_in_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** User (docs/auth.md "Users and passwords"): never hashes, secrets or lock fields. */
export interface User {
  id: string;
  email: string | null;
  email_verified: boolean;
  phone: null;
  role: string;
  user_metadata: Record<string, unknown>;
  app_metadata: Record<string, unknown>;
  is_anonymous: boolean;
  totp_enabled: boolean;
  new_email?: string;
  created_at: string;
  updated_at: string;
  last_sign_in_at: string | null;
}

/** AdminUser (docs/auth.md "Admin user management"). */
export interface AdminUser extends User {
  banned_until: string | null;
  failed_login_attempts: number;
  locked_until: string | null;
}

export interface Session {
  user: User;
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
  expires_at: number;
}

export interface TwoFactorChallenge {
  requires_2fa: true;
  user_id: string;
  challenge_token: string;
  expires_in: number;
  message: string;
}

export type SignInMethod =
  | 'password' | 'magiclink' | 'email_otp' | 'recovery' | 'email_verification' | 'oauth' | 'idtoken'
  | 'anonymous' | 'signup' | 'totp' | 'recovery_code' | 'step_up';

/** Where a request came from, recorded on sessions, challenges and attempts. */
export interface ClientInfo {
  ip: string;
  userAgent: string;
}

export type AuthenticatorAssurance = 'aal1' | 'aal2';

export interface AmrEntry {
  method: string;
  timestamp: number;
}
