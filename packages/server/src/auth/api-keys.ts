// The anon and service-role API keys (docs/getting-started.md "Keys"): HS256 JWTs signed with
// auth.jwt_secret, valid for ten years. They are derived from the secret alone, so the
// server and `fluxbase keys` print the same keys on every start for the same secret
// (nobody should think a restart rotated them). Any other JWT with these claims signed
// with the secret is just as valid, until the secret changes (or, for service-role keys,
// until a service-role revocation: then `notBefore` moves the keys past it).
import { createHmac } from 'node:crypto';
import { signJwt } from '../http/index.ts';

const TEN_YEARS = 10 * 365 * 24 * 3600;
/** 2025-01-01T00:00:00Z: the stable `iat` of the keys falls in the year after it. */
const KEYS_EPOCH = 1_735_689_600;
const YEAR = 365 * 24 * 3600;

export interface ApiKeys {
  anon: string;
  service_role: string;
}

/** The keys' `iat`: a second in 2025 derived from the secret (stable for one secret, different between secrets). */
export function stableIssuedAt(jwtSecret: string): number {
  const digest = createHmac('sha256', jwtSecret).update('fluxbase api keys iat v1').digest();
  return KEYS_EPOCH + (digest.readUInt32BE(0) % YEAR);
}

export interface MintOptions {
  /** Epoch seconds: issue the keys no earlier than this (the last service-role revocation). */
  notBefore?: number | null | undefined;
}

export function mintApiKeys(jwtSecret: string, options: MintOptions = {}): ApiKeys {
  const iat = Math.max(stableIssuedAt(jwtSecret), options.notBefore ?? 0);
  return {
    anon: signJwt({ iss: 'fluxbase', role: 'anon', iat, exp: iat + TEN_YEARS }, jwtSecret),
    service_role: signJwt({ iss: 'fluxbase', role: 'service_role', iat, exp: iat + TEN_YEARS }, jwtSecret),
  };
}
