// Access tokens (docs/auth.md "Sessions and refresh tokens"): HS256 JWTs whose claims are
// rebuilt from the database row on every issue and refresh; `role` is always
// `authenticated`, the user's own role travels as `user_role`. `session_id` is
// auth.sessions.id and survives refreshes.
import { randomUUID } from 'node:crypto';
import { signJwt } from '../../http/index.ts';
import type { AmrEntry, AuthenticatorAssurance, UserRow } from './types.ts';

export interface AccessTokenInput {
  user: UserRow;
  sessionId: string;
  aal: AuthenticatorAssurance;
  amr: AmrEntry[];
  expiresInSeconds: number;
  secret: string;
  audience?: string | undefined;
  now?: number;
}

export function mintAccessToken(input: AccessTokenInput): { token: string; expiresAt: number } {
  const now = input.now ?? Math.floor(Date.now() / 1000);
  const exp = now + input.expiresInSeconds;
  const { user } = input;
  const claims = {
    iss: 'fluxbase',
    aud: input.audience || 'authenticated',
    sub: user.id,
    user_id: user.id,
    role: 'authenticated',
    user_role: user.role,
    email: user.email ?? '',
    session_id: input.sessionId,
    is_anonymous: user.is_anonymous,
    aal: input.aal,
    amr: input.amr,
    app_metadata: user.app_metadata,
    user_metadata: user.user_metadata,
    token_type: 'access',
    iat: now,
    nbf: now,
    exp,
    jti: randomUUID(),
  };
  return { token: signJwt(claims, input.secret), expiresAt: exp };
}
