// A connection's identity from its principal: role and claims exactly as a REST request
// would set them (db/context.ts), so RLS decides realtime deliveries the same way.
import { hash } from 'node:crypto';
import type { Principal } from '../../http/index.ts';
import type { Identity } from '../engine/types.ts';

export function identityOf(principal: Principal, isAdmin: boolean): Identity {
  const claimsJson = principal.claimsJson ?? JSON.stringify({ ...principal.claims, role: principal.role });
  const exp = principal.claims.exp;
  const email = principal.claims.email;
  return {
    role: principal.role,
    claimsJson,
    claimsKey: hash('sha1', `${principal.role}\u0000${claimsJson}`, 'base64'),
    sub: principal.userId ?? (typeof principal.claims.sub === 'string' ? principal.claims.sub : ''),
    userId: principal.userId,
    keyId: principal.keyId,
    email: typeof email === 'string' ? email : undefined,
    isAdmin,
    expiresAt: typeof exp === 'number' ? exp : undefined,
  };
}
