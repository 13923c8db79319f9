// ID-token verification (docs/auth.md "5. The sign-in flow"): signature against the
// provider's JWKS (asymmetric algorithms only), issuer (Microsoft's `{tenantid}` template
// filled from `tid`), audience = client id (and `azp` when several audiences), expiry with
// the configured leeway, and the nonce. Failures are 401 INVALID_ID_TOKEN with
// `details.reason`; an unreachable JWKS is 502 OAUTH_PROVIDER_ERROR.
import type * as JoseModule from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { AppError } from '../../http/index.ts';
import { hashedNonce } from './pkce.ts';
import { providerError } from './provider-http.ts';
import { BoundedCache, type CacheRegistry } from '../../observability/index.ts';

// jose is loaded on the first ID-token check, not at start: most servers never verify one,
// and the module costs ~10 MB of resident memory.
type Jose = typeof JoseModule;
let jose: Promise<Jose> | undefined;
const loadJose = (): Promise<Jose> => (jose ??= import('jose'));

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const MAX_TOKEN_LENGTH = 16 * 1024;

export type IdTokenFailure =
  | 'malformed' | 'bad_signature' | 'unknown_key' | 'expired' | 'not_yet_valid'
  | 'invalid_issuer' | 'invalid_audience' | 'nonce_mismatch' | 'missing_nonce' | 'invalid_claims';

export function invalidIdToken(reason: IdTokenFailure, message: string): AppError {
  return new AppError('INVALID_ID_TOKEN', { message, details: { reason } });
}

export interface NonceCheck {
  /** The nonce issued (callback) or sent by the client (/signin/idtoken); undefined: none. */
  expected: string | undefined;
  /** Also accept hex(sha256(expected)) in the claim (mobile SDKs send the hash to the provider). */
  allowHashed: boolean;
}

export interface IdTokenCheck {
  provider: string;
  keys: JWTVerifyGetKey;
  /** Expected `iss`; `{tenantid}` is replaced by the token's `tid`. */
  issuer: string;
  /** Other accepted spellings of the issuer (Google also issues `accounts.google.com`). */
  issuerAliases?: string[];
  clientId: string;
  nonce: NonceCheck;
  leewaySeconds: number;
}

/** Maps jose's failures to our reasons; anything about fetching keys is the provider's fault. */
function mapJoseError(provider: string, err: unknown, joseErrors: Jose['errors']): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof joseErrors.JWTExpired) return invalidIdToken('expired', 'The ID token has expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return invalidIdToken('invalid_audience', 'The ID token was issued for another client');
    if (err.claim === 'iss') return invalidIdToken('invalid_issuer', 'The ID token was issued by another issuer');
    if (err.claim === 'nbf' || err.claim === 'iat') return invalidIdToken('not_yet_valid', 'The ID token is not valid yet');
    return invalidIdToken('invalid_claims', `The ID token's ${err.claim} claim is invalid`);
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return invalidIdToken('bad_signature', 'The ID token signature does not verify');
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return invalidIdToken('unknown_key', "The ID token is not signed with one of the provider's keys");
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported
    || err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) {
    return invalidIdToken('malformed', 'The ID token is malformed or uses an unsupported algorithm');
  }
  return providerError(provider, `Could not load ${provider}'s signing keys`, { reason: 'jwks_unavailable' }, err);
}

function checkNonce(claims: JWTPayload, nonce: NonceCheck): void {
  const claim = claims.nonce;
  if (nonce.expected === undefined) {
    // A token minted for a nonce must be presented with it (GoTrue's rule), or a token
    // lifted from another flow could be replayed here.
    if (claim !== undefined) throw invalidIdToken('missing_nonce', 'The ID token carries a nonce: send it with the request');
    return;
  }
  if (typeof claim !== 'string') throw invalidIdToken('nonce_mismatch', 'The ID token carries no nonce');
  const ok = claim === nonce.expected || (nonce.allowHashed && claim === hashedNonce(nonce.expected));
  if (!ok) throw invalidIdToken('nonce_mismatch', 'The ID token nonce does not match');
}

export async function verifyIdToken(token: string, check: IdTokenCheck): Promise<JWTPayload> {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalidIdToken('malformed', 'The ID token is empty or too long');
  const { jwtVerify, errors } = await loadJose();
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, check.keys, {
      algorithms: ALGORITHMS,
      audience: check.clientId,
      clockTolerance: check.leewaySeconds,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
    }));
  } catch (err) {
    throw mapJoseError(check.provider, err, errors);
  }
  const expectedIssuer = check.issuer.includes('{tenantid}')
    ? typeof claims.tid === 'string' ? check.issuer.replace('{tenantid}', claims.tid) : undefined
    : check.issuer;
  const accepted = expectedIssuer === undefined ? [] : [expectedIssuer, ...(check.issuerAliases ?? [])];
  if (typeof claims.iss !== 'string' || !accepted.includes(claims.iss)) {
    throw invalidIdToken('invalid_issuer', 'The ID token was issued by another issuer');
  }
  if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== undefined && claims.azp !== check.clientId) {
    throw invalidIdToken('invalid_audience', 'The ID token was issued for another client (azp)');
  }
  if (typeof claims.sub !== 'string' || claims.sub === '' || claims.sub.length > 255) {
    throw invalidIdToken('invalid_claims', 'The ID token has no usable subject');
  }
  checkNonce(claims, check.nonce);
  return claims;
}

/** Remote key sets by URL, shared by every sign-in of this instance (jose caches the keys). */
export class JwksCache {
  private readonly sets: BoundedCache<string, JWTVerifyGetKey>;

  constructor(caches?: CacheRegistry) {
    this.sets = new BoundedCache('oidc_jwks', 100, caches);
  }

  keys(url: string): JWTVerifyGetKey {
    let set = this.sets.get(url);
    if (!set) {
      let remote: JWTVerifyGetKey | undefined;
      set = async (header, input) => {
        remote ??= (await loadJose()).createRemoteJWKSet(new URL(url), { timeoutDuration: 10_000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
        return remote(header, input);
      };
      this.sets.set(url, set);
    }
    return set;
  }
}
