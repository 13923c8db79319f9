// `client.auth.mfa`: TOTP second factor over `/api/v1/auth/2fa/*` (docs/auth.md
// "Two-factor authentication (TOTP)").
// Enrolment (setup → enable), the sign-in or step-up challenge and its verification,
// unenrolment, status and recovery codes. Supabase's enroll/challenge/verify/unenroll
// names with the upstream setup/enable/disable aliases.
import type { FluxbaseResult } from '../transport.ts';
import { type AuthHttp, objectResult, sessionResult } from './http.ts';
import { missingSession, type SessionManager } from './session-manager.ts';
import type { MfaRequired, MfaVerifyParams, Session, TotpEnrollment, TotpStatus, User } from './types.ts';

type Obj = Record<string, unknown>;
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined);

export class MfaApi {
  private readonly http: AuthHttp;
  private readonly sessions: SessionManager;
  private readonly getPending: () => MfaRequired | null;
  private readonly setPending: (m: MfaRequired | null) => void;

  constructor(http: AuthHttp, sessions: SessionManager, getPending: () => MfaRequired | null, setPending: (m: MfaRequired | null) => void) {
    this.http = http;
    this.sessions = sessions;
    this.getPending = getPending;
    this.setPending = setPending;
  }

  /** Start TOTP enrolment: a secret, its otpauth URI and QR code (pending 10 minutes until `enable`). */
  async enroll(params: { issuer?: string } = {}): Promise<FluxbaseResult<TotpEnrollment>> {
    const res = await this.http.user('POST', '/2fa/setup', { body: params.issuer === undefined ? {} : { issuer: params.issuer } });
    return objectResult(res, 'a TOTP enrolment', (b) => (isObj(b.totp) && typeof b.totp.secret === 'string' ? b as unknown as TotpEnrollment : undefined));
  }

  /** Upstream name of enroll. */
  setup(params: { issuer?: string } = {}): Promise<FluxbaseResult<TotpEnrollment>> {
    return this.enroll(params);
  }

  /** Finish enrolment with a code from the authenticator app; returns the 10 recovery codes (shown once). */
  async enable(params: { code: string }): Promise<FluxbaseResult<{ backup_codes: string[]; message: string }>> {
    const res = objectResult(await this.http.user('POST', '/2fa/enable', { body: { code: params.code } }), 'recovery codes', (b) => {
      const codes = strings(b.backup_codes);
      return codes === undefined ? undefined : { backup_codes: codes, message: typeof b.message === 'string' ? b.message : '' };
    });
    if (!res.error) await this.markTotp(true);
    return res;
  }

  /** Step-up: ask for a code to raise the current session to `aal2`; then call `verify({ code })`. */
  async challenge(): Promise<FluxbaseResult<{ challengeToken: string; expiresIn: number }>> {
    const res = objectResult(await this.http.user('POST', '/2fa/challenge'), 'a challenge', (b) => (typeof b.challenge_token === 'string'
      ? { challengeToken: b.challenge_token, expiresIn: typeof b.expires_in === 'number' ? b.expires_in : 300 }
      : undefined));
    const user = this.sessions.current()?.user;
    if (!res.error && user !== undefined) {
      this.setPending({ required: true, userId: user.id, challengeToken: res.data.challengeToken, expiresIn: res.data.expiresIn, message: '' });
    }
    return res;
  }

  /**
   * Answer a challenge with a TOTP or recovery code. `userId` and `challengeToken` default
   * to the pending challenge of the last sign-in (or `challenge()`). Emits MFA_CHALLENGE_VERIFIED.
   */
  async verify(params: MfaVerifyParams): Promise<FluxbaseResult<{ user: User; session: Session }>> {
    const pending = this.getPending();
    const userId = params.userId ?? pending?.userId ?? this.sessions.current()?.user.id;
    if (userId === undefined) return { data: null, error: missingSession() };
    const body: Obj = { user_id: userId, code: params.code };
    const challengeToken = params.challengeToken ?? (pending?.userId === userId ? pending.challengeToken : undefined);
    if (challengeToken !== undefined && challengeToken !== '') body.challenge_token = challengeToken;
    const res = sessionResult(await this.http.public('POST', '/2fa/verify', { body }));
    if (res.error) return res;
    this.setPending(null);
    await this.sessions.set(res.data, 'MFA_CHALLENGE_VERIFIED');
    return { data: { user: res.data.user, session: res.data }, error: null };
  }

  /** Remove TOTP, proven with the account password or a current code. */
  async unenroll(params: { password: string } | { code: string }): Promise<FluxbaseResult<{ success: true; message: string }>> {
    const body = 'password' in params ? { password: params.password } : { code: params.code };
    const res = objectResult(await this.http.user('POST', '/2fa/disable', { body }), 'a success answer',
      (b) => ({ success: true as const, message: typeof b.message === 'string' ? b.message : '' }));
    if (!res.error) await this.markTotp(false);
    return res;
  }

  /** Upstream name of unenroll. */
  disable(params: { password: string } | { code: string }): Promise<FluxbaseResult<{ success: true; message: string }>> {
    return this.unenroll(params);
  }

  /** Whether TOTP is on and how many recovery codes are left. */
  async status(): Promise<FluxbaseResult<TotpStatus>> {
    return objectResult(await this.http.user('GET', '/2fa/status'), 'a 2FA status',
      (b) => (typeof b.totp_enabled === 'boolean' ? b as unknown as TotpStatus : undefined));
  }

  /** Replace the recovery codes (the old ones stop working); needs a current TOTP code. */
  async regenerateRecoveryCodes(params: { code: string }): Promise<FluxbaseResult<{ backup_codes: string[] }>> {
    return objectResult(await this.http.user('POST', '/2fa/recovery-codes', { body: { code: params.code } }), 'recovery codes', (b) => {
      const codes = strings(b.backup_codes);
      return codes === undefined ? undefined : { backup_codes: codes };
    });
  }

  /** Keep the stored user's `totp_enabled` in step with the server (emits USER_UPDATED). */
  private async markTotp(enabled: boolean): Promise<void> {
    const user = this.sessions.current()?.user;
    if (user !== undefined && user.totp_enabled !== enabled) await this.sessions.updateUser({ ...user, totp_enabled: enabled });
  }
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
