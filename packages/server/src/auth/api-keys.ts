// The anon and service-role API keys (API.md §2.1): HS256 JWTs signed with
// auth.jwt_secret, valid for ten years. Any number can be minted; all are valid until the
// secret changes (or, for service-role keys, until a service-role revocation).
import { randomUUID } from 'node:crypto';
import { signJwt } from '../http/index.ts';

const TEN_YEARS = 10 * 365 * 24 * 3600;

export interface ApiKeys {
  anon: string;
  service_role: string;
}

export function mintApiKeys(jwtSecret: string, now = Math.floor(Date.now() / 1000)): ApiKeys {
  return {
    anon: signJwt({ iss: 'fluxbase', role: 'anon', iat: now, exp: now + TEN_YEARS }, jwtSecret),
    service_role: signJwt({ iss: 'fluxbase', role: 'service_role', iat: now, exp: now + TEN_YEARS, jti: randomUUID() }, jwtSecret),
  };
}
