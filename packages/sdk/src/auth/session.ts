// Reading session-shaped values the SDK did not build itself (server answers, stored
// JSON) and the expiry arithmetic of the refresh schedule. Pure functions, no I/O.
import type { MfaRequired, Session, TwoFactorChallenge, User } from './types.ts';

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A User as the server sends it: only `id` is checked, the rest is passed through. */
export function asUser(value: unknown): User | null {
  return isObject(value) && typeof value.id === 'string' && value.id !== '' ? (value as unknown as User) : null;
}

/**
 * A Session from a server answer or from storage, or null when it is not one. `expires_at`
 * is filled from `expires_in` (or the token's `exp`) when absent.
 */
export function asSession(value: unknown, nowSeconds = Math.floor(Date.now() / 1000)): Session | null {
  if (!isObject(value)) return null;
  const { access_token, refresh_token } = value;
  const user = asUser(value.user);
  if (typeof access_token !== 'string' || access_token === '' || typeof refresh_token !== 'string' || refresh_token === '' || user === null) return null;
  const expiresIn = finite(value.expires_in);
  const expiresAt = finite(value.expires_at) ?? (expiresIn !== undefined ? nowSeconds + expiresIn : jwtExpiry(access_token));
  if (expiresAt === undefined) return null;
  return {
    user,
    access_token,
    refresh_token,
    token_type: 'bearer',
    expires_in: expiresIn ?? Math.max(0, expiresAt - nowSeconds),
    expires_at: expiresAt,
  };
}

export function isTwoFactorChallenge(value: unknown): value is TwoFactorChallenge {
  return isObject(value) && value.requires_2fa === true && typeof value.user_id === 'string';
}

export function toMfaRequired(c: TwoFactorChallenge): MfaRequired {
  return {
    required: true,
    userId: c.user_id,
    challengeToken: typeof c.challenge_token === 'string' ? c.challenge_token : '',
    expiresIn: typeof c.expires_in === 'number' ? c.expires_in : 300,
    message: typeof c.message === 'string' ? c.message : '2FA verification required',
  };
}

/** The `exp` claim of a JWT (unverified: only to schedule refreshes), or undefined. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
    const claims: unknown = JSON.parse(json);
    return isObject(claims) ? finite(claims.exp) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Unix milliseconds at which `session` should be refreshed: `marginSeconds` before expiry,
 * but never earlier than half-way through the token's life, so a server with short tokens
 * (shorter than twice the margin) does not cause a refresh loop.
 */
export function refreshDueAt(session: Session, marginSeconds: number): number {
  const lifetime = session.expires_in > 0 ? session.expires_in : marginSeconds * 2;
  const margin = Math.min(marginSeconds, lifetime / 2);
  return (session.expires_at - margin) * 1000;
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
